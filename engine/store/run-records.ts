import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
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
       * written (the timeline's): the check then streams the file through a hash instead of
       * reading it into a string the size of the run's whole history at every call.
       */
      digest(): { bytes: number; sha256: string };
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

/** The records whose file no longer holds what the engine wrote (a missing file included). Impure. */
export function tamperedRecords(records: readonly RunRecord[]): RunRecord[] {
  return records.filter((r) => {
    if (r.digest) return !holdsDigest(r.file, r.digest());
    const want = r.expected();
    if (want === null) return false;
    try {
      return readFileSync(r.file, 'utf8') !== want;
    } catch {
      return true;
    }
  });
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
