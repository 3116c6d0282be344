import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, lstatSync, openSync, readdirSync, renameSync, rmdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { grantOwner, grantOwnerFd, O_PATH } from './grant-owner.js';
import { isUtf8Name } from './shown-name.js';

/**
 * Remove a file or a whole directory tree, as `rm -rf` does: a symbolic link is removed, never
 * followed (at the top or anywhere below), and a path that is not there is no error. Any other
 * failure (no permission, a directory that filled again while it was emptied) is thrown.
 *
 * Never followed even while something else renames entries in the tree: a directory that is
 * checked by name, then listed and emptied by name, can be swapped for a link in between (a
 * process a worker left running without the OS sandbox can do it at will), and emptying the
 * link's target removed the user's files. So each directory is opened once, without following
 * a link, and listed and emptied through that descriptor (on Linux, by its /proc/<pid>/fd path;
 * elsewhere by name, with that window left open).
 *
 * Node 20's `rmSync` runs every removal, a single file's too, through its JavaScript rimraf,
 * which the first call loads and compiles (about 4 ms) and which stats each entry before
 * removing it; a run removes a workspace, its git dir and a probe's directory, and this did
 * the same work for half the CPU. Impure.
 */
export function removeTree(target: string, shown = target): void {
  const st = lstatSync(target, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory()) removeDirectory(target, shown);
  else removeChild(target, shown);
}

/**
 * removeTree of `rel` inside `root`, reached from `root` one name at a time, never through a
 * link: each folder on the way is opened without following one (on Linux, through its
 * parent's descriptor), so a folder a process swaps for a link on the way (a worker's, left
 * running without the OS sandbox) ends the way there instead of leading out of `root`. A path
 * that is not there, or meets a link or a file on the way, removes nothing. `rel` must be a
 * plain relative path (no `.`, `..` or empty part). Impure.
 */
export function removeWithin(root: string, rel: string): void {
  if (rel === '') throw new Error(`removeWithin names a path inside ${root}, not the root itself`);
  const parts = rel.split('/');
  const shown = path.join(root, rel);
  const fd = openWithin(root, parts.slice(0, -1).join('/'), rel);
  if (fd === null) return;
  if (fd === NO_DESCRIPTORS) return removeTree(shown);
  try {
    removeTree(`${fdPath(fd)}/${parts.at(-1)}`, shown);
  } finally {
    closeSync(fd);
  }
}

/** What openWithin gives where a path cannot be reached through descriptors (not Linux): the caller goes by name. */
export const NO_DESCRIPTORS = -1;

/** The path through which a descriptor of this process reaches what it names (Linux). Pure. */
export function fdPath(fd: number): string {
  return `/proc/${process.pid}/fd/${fd}`;
}

/**
 * A descriptor (O_PATH) of the directory `rel` inside `root` (`''`: root itself), reached from
 * `root` one name at a time without following a link (`root` itself included): null when it
 * is not there or a link or a file is on the way; NO_DESCRIPTORS where the system has no /proc descriptor paths. `whole`:
 * the path checked for `.`, `..` and empty parts (default `rel`). The caller closes it. Impure.
 */
export function openWithin(root: string, rel: string, whole = rel): number | null {
  const parts = rel === '' ? [] : rel.split('/');
  if (whole !== '' && (path.isAbsolute(whole) || whole.split('/').some((p) => p === '' || p === '.' || p === '..' || p.includes('\0')))) throw new Error(`${whole} is not a path inside ${root}`);
  if (process.platform !== 'linux') return NO_DESCRIPTORS;
  // The root itself not through a link either: a process left running can swap the workspace for one.
  let fd = openFolder(root);
  for (const part of parts) {
    if (fd === null) return null;
    let next: number | null;
    try {
      next = openFolder(`${fdPath(fd)}/${part}`);
    } catch (error) {
      throw named(error, `${fdPath(fd)}/${part}`, path.join(root, rel));
    } finally {
      closeSync(fd);
    }
    fd = next;
  }
  return fd;
}

/**
 * A descriptor (O_PATH) of the folder `named`, opened without following a link: null when it
 * is not there, or is a link or a file. Any other failure is thrown. Impure.
 */
export function openFolder(named: string): number | null {
  try {
    return openSync(named, O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return null;
    throw error;
  }
}

/** Remove one file (or link); a missing one is no error. Impure. */
export function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Whether a directory can be reached through its descriptor by path (Linux's /proc/<pid>/fd). */
let fdPaths: boolean | undefined;

/** How deep the walk goes itself; a deeper tree is handed to `rm -rf` from there (see below). */
const MAX_DEPTH = 64;

interface Frame {
  /** How the directory is reached: a name, or a path through its parent's descriptor. */
  at: string;
  /** Its name for errors. */
  shown: string;
  fd: number;
  /** Its entries, and how they are reached (through its descriptor where it can be). */
  inside: string;
  entries: Entry[];
  next: number;
}

/**
 * A directory's entries removed (directories by their entry type, so links are never
 * followed), then the directory; depth first, without recursion, one descriptor per level.
 * A tree deeper than MAX_DEPTH is removed from there by `rm -rf` (as deep as it goes, with
 * the openat-based walk of fts), reached through the descriptor of its parent: a worker can
 * nest directories thousands deep, and a walk of its own ran out of stack. Impure.
 */
function removeDirectory(top: string, shownTop: string): void {
  const stack: Frame[] = [];
  const enter = (at: string, shown: string): void => {
    let fd: number;
    const open = (): number => openSync(at, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      try {
        fd = open();
      } catch (error) {
        // A directory of this user a worker took its permissions from (chmod 000): given back.
        if ((error as NodeJS.ErrnoException).code !== 'EACCES' || !grantOwner(at, 0o700)) throw error;
        fd = open();
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      // No longer a directory (a link or a file put in its place since it was listed): removed as one.
      if (code === 'ELOOP' || code === 'ENOTDIR') return removeFile(at);
      throw named(error, at, shown);
    }
    // Entries are removed from it only with write and search permission on it.
    try {
      grantOwnerFd(fd, 0o700);
    } catch {
      /* the removal says what it could not do */
    }
    // By this process's id, not /proc/self: `rm` (removeDeep) reaches it through the same path.
    fdPaths ??= existsSync(fdPath(fd));
    const inside = fdPaths ? fdPath(fd) : at;
    try {
      stack.push({ at, shown, fd, inside, entries: listNames(inside), next: 0 });
    } catch (error) {
      closeSync(fd);
      throw named(error, inside, shown);
    }
  };
  try {
    enter(top, shownTop);
    while (stack.length) {
      const frame = stack[stack.length - 1]!;
      const e = frame.entries[frame.next++];
      if (e) {
        const child = `${frame.inside}/${e.name}`;
        const shown = `${frame.shown}/${e.name}`;
        if (!e.dir) removeChild(child, shown);
        else if (stack.length < MAX_DEPTH) enter(child, shown);
        else removeDeep(child, shown);
        continue;
      }
      stack.pop();
      closeSync(frame.fd);
      try {
        rmdirSync(frame.at);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw named(error, frame.at, frame.shown);
      }
    }
  } finally {
    for (const frame of stack) closeSync(frame.fd);
  }
}

function removeChild(child: string, shown: string): void {
  try {
    removeFile(child);
  } catch (error) {
    throw named(error, child, shown);
  }
}

interface Entry {
  name: string;
  dir: boolean;
}

/**
 * A directory's entries, each by a name that opens it. A name that is not UTF-8 (a worker's
 * `mkdir $'\xff'`) is listed as text with U+FFFD in place of its bytes, a name that opens
 * nothing: the directory then could not be emptied (ENOTEMPTY). Such an entry is renamed first
 * to a free name of its own (it is about to go). Impure (lists, renames).
 */
function listNames(inside: string): Entry[] {
  return readdirSync(inside, { withFileTypes: true, encoding: 'buffer' }).map((e) => {
    const dir = e.isDirectory();
    if (isUtf8Name(e.name)) return { name: e.name.toString('utf8'), dir };
    const name = `.engine-removed-${randomBytes(6).toString('hex')}`;
    renameSync(Buffer.concat([Buffer.from(`${inside}/`), e.name]), `${inside}/${name}`);
    return { name, dir };
  });
}

/** A subtree below MAX_DEPTH, removed by `rm -rf` (which never follows a link either). Impure. */
function removeDeep(at: string, shown: string): void {
  // By its full path (on Linux and macOS alike): never a program a relative PATH entry finds.
  const r = spawnSync('/bin/rm', ['-rf', '--', at], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status === 0) return;
  const said = (r.stderr || r.error?.message || `rm exited ${r.status}`).trim().split(at).join(shown);
  const error: NodeJS.ErrnoException = new Error(`cannot remove ${shown}: ${said}`);
  // rm's own words of a refused permission are the system's: said as the system's error.
  const refused = /: (Operation not permitted|Permission denied)$/m.exec(said)?.[1];
  if (refused) Object.assign(error, { code: refused === 'Permission denied' ? 'EACCES' : 'EPERM', syscall: 'rm', path: shown });
  throw error;
}

/** An error of a path reached through a descriptor, told by the path the caller knows. Pure. */
function named(error: unknown, at: string, shown: string): unknown {
  if (at === shown || !(error instanceof Error)) return error;
  const e = error as NodeJS.ErrnoException;
  e.message = e.message.split(at).join(shown);
  if (e.path === at) e.path = shown;
  return e;
}
