import { createHash } from 'node:crypto';

/**
 * A digest of what a git index says is staged — each entry's path, stage, mode and object id
 * — leaving out the stat cache and extensions, which git rewrites whenever anyone runs
 * `git status`. Two indexes with the same digest stage the same content. An index this
 * parser does not understand (another version, SHA-256) is digested whole. Pure.
 */
export function digestIndexEntries(bytes: Buffer): string {
  const hash = createHash('sha256');
  const entries = readEntries(bytes);
  if (entries === null) return `raw:${hash.update(bytes).digest('hex')}`;
  for (const e of entries) hash.update(`${e.mode.toString(8)} ${e.sha} ${e.stage}\t${e.path}\0`);
  return `entries:${entries.length}:${hash.digest('hex')}`;
}

interface IndexEntry {
  path: string;
  mode: number;
  sha: string;
  stage: number;
}

function readEntries(b: Buffer): IndexEntry[] | null {
  if (b.length < 12 || b.toString('latin1', 0, 4) !== 'DIRC') return null;
  const version = b.readUInt32BE(4);
  const count = b.readUInt32BE(8);
  if (version < 2 || version > 4) return null;
  const out: IndexEntry[] = [];
  let at = 12;
  let prev = '';
  for (let i = 0; i < count; i++) {
    if (at + 62 > b.length) return null;
    const mode = b.readUInt32BE(at + 24);
    const sha = b.toString('hex', at + 40, at + 60);
    const flags = b.readUInt16BE(at + 60);
    let p = at + 62;
    if (version >= 3 && flags & 0x4000) p += 2;
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
      const len = end - at;
      at += (len + 8) & ~7;
    }
    prev = name;
    out.push({ path: name, mode, sha, stage: (flags >> 12) & 3 });
  }
  return out;
}
