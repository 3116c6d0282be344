import { createHash } from 'node:crypto';

/**
 * A digest of what a git index says is staged — each entry's path, stage, mode, object id
 * and flags (assume-unchanged, skip-worktree, intent-to-add) — leaving out the stat cache and
 * the cache extensions, which git rewrites whenever anyone runs `git status`. Two indexes
 * with the same digest stage the same content. `hashBytes` is 20 for SHA-1 repositories and
 * 32 for SHA-256 ones. A split index (its entries live partly in `sharedindex.*`) and an
 * index this parser does not understand are digested whole, bytes and all. Pure.
 */
export function digestIndexEntries(bytes: Buffer, hashBytes = 20): string {
  const hash = createHash('sha256');
  const parsed = readEntries(bytes, hashBytes);
  if (parsed === null || parsed.split) return `raw:${hash.update(bytes).digest('hex')}`;
  for (const e of parsed.entries) hash.update(`${e.mode.toString(8)} ${e.sha} ${e.flags} ${e.extFlags}\t${e.path}\0`);
  return `entries:${parsed.entries.length}:${hash.digest('hex')}`;
}

interface IndexEntry {
  path: string;
  mode: number;
  sha: string;
  /** The high 4 bits of the flags: assume-valid, extended, stage. */
  flags: number;
  extFlags: number;
}

function readEntries(b: Buffer, hashBytes: number): { entries: IndexEntry[]; split: boolean } | null {
  if (b.length < 12 || b.toString('latin1', 0, 4) !== 'DIRC') return null;
  const version = b.readUInt32BE(4);
  const count = b.readUInt32BE(8);
  if (version < 2 || version > 4) return null;
  const out: IndexEntry[] = [];
  let at = 12;
  let prev = '';
  const fixed = 40 + hashBytes + 2;
  for (let i = 0; i < count; i++) {
    if (at + fixed > b.length) return null;
    const mode = b.readUInt32BE(at + 24);
    const sha = b.toString('hex', at + 40, at + 40 + hashBytes);
    const flags = b.readUInt16BE(at + 40 + hashBytes);
    let p = at + fixed;
    let extFlags = 0;
    if (version >= 3 && flags & 0x4000) {
      if (p + 2 > b.length) return null;
      extFlags = b.readUInt16BE(p);
      p += 2;
    }
    let name: string;
    if (version === 4) {
      let strip = 0;
      let byte: number;
      let first = true;
      do {
        if (p >= b.length) return null;
        byte = b[p++]!;
        strip = first ? byte & 0x7f : ((strip + 1) << 7) | (byte & 0x7f);
        first = false;
      } while (byte & 0x80);
      const end = b.indexOf(0, p);
      if (end < 0 || strip > prev.length) return null;
      name = prev.slice(0, prev.length - strip) + b.toString('latin1', p, end);
      at = end + 1;
    } else {
      const end = b.indexOf(0, p);
      if (end < 0) return null;
      name = b.toString('latin1', p, end);
      at += (end - at + 8) & ~7;
    }
    prev = name;
    out.push({ path: name, mode, sha, flags: flags >> 12, extFlags });
  }
  // Extensions: a `link` one means a split index, whose entries this file alone does not hold.
  let split = false;
  while (at + 8 <= b.length - hashBytes) {
    const sig = b.toString('latin1', at, at + 4);
    const size = b.readUInt32BE(at + 4);
    if (sig === 'link') split = true;
    at += 8 + size;
  }
  return { entries: out, split };
}
