import { openSync, writeSync, fsyncSync, closeSync, renameSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Write a file so that a reader (or a crash, kill -9 included) sees either the old content or
 * the new, never a mix: write a temp file beside it, fsync, rename over, fsync the directory.
 * Impure.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  syncDir(dir);
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
