import { lstatSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';

/**
 * Remove a file or a whole directory tree, as `rm -rf` does: a symbolic link is removed, never
 * followed (at the top or anywhere below), and a path that is not there is no error. Any other
 * failure (no permission, a directory that filled again while it was emptied) is thrown.
 *
 * Node 20's `rmSync` runs every removal, a single file's too, through its JavaScript rimraf,
 * which the first call loads and compiles (about 4 ms) and which stats each entry before
 * removing it; a run removes a workspace, its git dir and a probe's directory, and this did
 * the same work for half the CPU. Impure.
 */
export function removeTree(target: string): void {
  const st = lstatSync(target, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory()) removeDirectory(target);
  else removeFile(target);
}

/** Remove one file (or link); a missing one is no error. Impure. */
export function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** A directory's entries removed (directories by their entry type, so links are never followed), then the directory. */
function removeDirectory(dir: string): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const e of entries) {
    const child = `${dir}/${e.name}`;
    if (e.isDirectory()) removeDirectory(child);
    else removeFile(child);
  }
  try {
    rmdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
