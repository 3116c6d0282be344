import { closeSync, constants, existsSync, lstatSync, openSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';

/**
 * Remove a file or a whole directory tree, as `rm -rf` does: a symbolic link is removed, never
 * followed (at the top or anywhere below), and a path that is not there is no error. Any other
 * failure (no permission, a directory that filled again while it was emptied) is thrown.
 *
 * Never followed even while something else renames entries in the tree: a directory that is
 * checked by name, then listed and emptied by name, can be swapped for a link in between (a
 * process a worker left running without the OS sandbox can do it at will), and emptying the
 * link's target removed the user's files. So each directory is opened once, without following
 * a link, and listed and emptied through that descriptor (on Linux, by its /proc/self/fd path;
 * elsewhere by name, with that window left open).
 *
 * Node 20's `rmSync` runs every removal, a single file's too, through its JavaScript rimraf,
 * which the first call loads and compiles (about 4 ms) and which stats each entry before
 * removing it; a run removes a workspace, its git dir and a probe's directory, and this did
 * the same work for half the CPU. Impure.
 */
export function removeTree(target: string): void {
  const st = lstatSync(target, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory()) removeDirectory(target, target);
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

/** Whether a directory can be reached through its descriptor by path (Linux's /proc/self/fd). */
let fdPaths: boolean | undefined;

/**
 * A directory's entries removed (directories by their entry type, so links are never
 * followed), then the directory. `at` is how it is reached (a name, or a path through the
 * descriptor of its parent), `shown` its name for errors. Impure.
 */
function removeDirectory(at: string, shown: string): void {
  let fd: number;
  try {
    fd = openSync(at, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    // No longer a directory (a link or a file put in its place since it was listed): removed as one.
    if (code === 'ELOOP' || code === 'ENOTDIR') return removeFile(at);
    throw named(error, at, shown);
  }
  try {
    fdPaths ??= existsSync(`/proc/self/fd/${fd}`);
    const inside = fdPaths ? `/proc/self/fd/${fd}` : at;
    let entries;
    try {
      entries = readdirSync(inside, { withFileTypes: true });
    } catch (error) {
      throw named(error, inside, shown);
    }
    for (const e of entries) {
      const child = `${inside}/${e.name}`;
      if (e.isDirectory()) removeDirectory(child, `${shown}/${e.name}`);
      else {
        try {
          removeFile(child);
        } catch (error) {
          throw named(error, child, `${shown}/${e.name}`);
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  try {
    rmdirSync(at);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw named(error, at, shown);
  }
}

/** An error of a path reached through a descriptor, told by the path the caller knows. Pure. */
function named(error: unknown, at: string, shown: string): unknown {
  if (at === shown || !(error instanceof Error)) return error;
  const e = error as NodeJS.ErrnoException;
  e.message = e.message.split(at).join(shown);
  if (e.path === at) e.path = shown;
  return e;
}
