import { closeSync, fsyncSync, openSync } from 'node:fs';

/** fsync a directory so a rename, a new name or a removal in it is durable. Best effort where the OS refuses. Impure. */
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
