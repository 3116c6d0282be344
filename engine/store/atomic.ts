import { openSync, writeSync, fsyncSync, closeSync, renameSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Write a file so that a reader (or a crash, kill -9 included) sees either the old content or
 * the new, never a mix: write a temp file beside it, fsync, rename over, fsync the directory.
 * Impure.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  replaceFile(file, content, { syncData: true });
  syncDir(path.dirname(file));
}

/**
 * Replace a file so that a reader, or a killed process, sees either the old content or the
 * new, never a mix: a temp file beside it renamed over it, without fsync. For derived records
 * (state.json) whose source of truth, the timeline, is fsynced; a machine crash may leave the
 * older version, which resume brings up to date from the timeline. Impure.
 */
export function replaceFile(file: string, content: string | Uint8Array, o: { syncData?: boolean } = {}): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    // With syncData the new content is on disk before the rename can be: after a machine
    // crash the file is the old version or the new, never empty.
    if (o.syncData) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** fsync a directory so a rename in it is durable. Best effort where the OS refuses. */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* some filesystems refuse fsync on directories */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** JSON of a record as the store writes it: two-space indent and a final newline. Pure. */
export function toRecordJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
