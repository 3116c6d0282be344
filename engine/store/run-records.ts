import { closeSync, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { readRunFileSync } from '../util/read-run-record.js';
import { writeFileAtomic } from './atomic.js';

/**
 * A record the engine keeps in the run store (timeline.jsonl, state.json, env.json) with the
 * content the engine last wrote, so a change by anybody else — a worker that reaches the run
 * directory from its worktree — is found after each call and undone.
 */
export type RunRecord = {
  file: string;
  /** Path in the run directory (`timeline.jsonl`). */
  name: string;
  /** Write back what the engine wrote. Impure. */
  restore(): void;
} & (
  | {
      /** What the file must hold, or null while the engine has not written it yet. */
      expected(): string | null;
      digest?: never;
    }
  | {
      /**
       * The length in bytes and `sha256:<hex>` of what the file must hold, kept as it was
       * written (the timeline's), or null while the engine has not written it yet: the check
       * then streams the file through a hash instead of reading it into a string the size of
       * the run's whole history at every call.
       */
      digest(): { bytes: number; sha256: string } | null;
      expected?: never;
    }
);

/** A record written whole (atomically) by the engine. */
export function fileRecord(file: string, name: string, content: () => string | null): RunRecord {
  return {
    file,
    name,
    expected: content,
    restore() {
      const c = content();
      if (c !== null) writeFileAtomic(file, c);
    },
  };
}

/**
 * A record the engine writes whole in parts (state.json: the fields it keeps between writes
 * are encoded once): checked by their length and hash, made only when a check asks, once per
 * write. `parts` gives the last parts written (a new array at each write), or null before the
 * first. Impure (restore writes).
 */
export function partsRecord(file: string, name: string, parts: () => readonly Uint8Array[] | null): RunRecord {
  let known: { parts: readonly Uint8Array[]; digest: { bytes: number; sha256: string } } | null = null;
  return {
    file,
    name,
    digest() {
      const now = parts();
      if (now === null) return null;
      if (known?.parts !== now) {
        const hash = createHash('sha256');
        let bytes = 0;
        for (const p of now) {
          hash.update(p);
          bytes += p.length;
        }
        known = { parts: now, digest: { bytes, sha256: `sha256:${hash.digest('hex')}` } };
      }
      return known.digest;
    },
    restore() {
      const now = parts();
      if (now !== null) writeFileAtomic(file, Buffer.concat(now));
    },
  };
}

/**
 * The records whose file no longer holds what the engine wrote (a missing file included). A
 * record `keptOut` says no process of the run could write (the OS sandbox kept them all out)
 * is only looked at, not read: gone, or no longer a file of the length written, is tampered.
 * Hashing it after every call would cost more the longer the run, and no sandboxed process
 * can change its bytes; but the store can still be removed or cut from outside the sandbox
 * (the user, a cleanup script), and the timeline then went on into a removed file. Impure.
 */
export function tamperedRecords(records: readonly RunRecord[], o: { keptOut?: (r: RunRecord) => boolean } = {}): RunRecord[] {
  return records.filter((r) => (o.keptOut?.(r) ? isLost(r) : holdsOther(r)));
}

/** Whether the record's file holds anything but what the engine wrote (unread before it wrote). Impure. */
function holdsOther(r: RunRecord): boolean {
  if (r.digest) {
    const want = r.digest();
    return want !== null && !holdsDigest(r.file, want);
  }
  const want = r.expected();
  if (want === null) return false;
  try {
    return readRunFileSync(r.file, 'utf8') !== want;
  } catch {
    return true;
  }
}

/** Whether the record's file is gone, or is no regular file of the length the engine wrote (unlooked at before it wrote). Impure (stats). */
function isLost(r: RunRecord): boolean {
  const bytes = r.digest ? r.digest()?.bytes : byteLengthOf(r.expected());
  if (bytes === undefined) return false;
  try {
    const st = lstatSync(r.file);
    return !st.isFile() || st.size !== bytes;
  } catch {
    return true;
  }
}

function byteLengthOf(text: string | null): number | undefined {
  return text === null ? undefined : Buffer.byteLength(text);
}

/** One buffer for every hashed read (the check is synchronous). */
let chunk: Buffer | null = null;

/** Whether a file is exactly `bytes` long with that sha256; a missing file is not. Impure. */
function holdsDigest(file: string, want: { bytes: number; sha256: string }): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    if (fstatSync(fd).size !== want.bytes) return false;
    chunk ??= Buffer.allocUnsafe(64 * 1024);
    const hash = createHash('sha256');
    let total = 0;
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) {
      hash.update(chunk.subarray(0, n));
      total += n;
    }
    return total === want.bytes && `sha256:${hash.digest('hex')}` === want.sha256;
  } finally {
    closeSync(fd);
  }
}
