import { chmodSync, closeSync, constants, fchmodSync, fstatSync, lstatSync, openSync, type Stats } from 'node:fs';

/** Linux's O_PATH: a descriptor that names a file without opening it (no permission needed). */
export const O_PATH = 0o10000000;

/** This process's user id; null for root (which needs no permission back) or where there is none. */
function ownUid(): number | null {
  const uid = process.getuid?.();
  return uid === undefined || uid === 0 ? null : uid;
}

/**
 * Gives this process's user back the permission bits `bits` (0o400 read, 0o700 for a
 * directory) on a file or directory it owns that lacks them: a worker runs as the same user
 * and can take its own files' permissions away (chmod 000), and then neither git nor the
 * removal of the workspace can read them. Never through a link: on Linux through a descriptor
 * naming exactly that entry (O_PATH), elsewhere after an lstat; never a file with another
 * name (a hard link to a file elsewhere keeps its mode: git's add then names it, and the
 * snapshot removes the workspace's name, git_refused). Root needs none. True when it
 * changed the mode. Impure.
 */
export function grantOwner(file: string, bits: number): boolean {
  const uid = ownUid();
  if (uid === null) return false;
  if (process.platform !== 'linux') {
    const st = lstatSync(file, { throwIfNoEntry: false });
    return st !== undefined && mayGrantNamed(st, uid, bits) && tryChmod(file, (st.mode & 0o7777) | bits);
  }
  let fd: number;
  try {
    fd = openSync(file, O_PATH | constants.O_NOFOLLOW);
  } catch {
    return false;
  }
  try {
    const st = fstatSync(fd);
    return mayGrantNamed(st, uid, bits) && tryChmod(`/proc/self/fd/${fd}`, (st.mode & 0o7777) | bits);
  } finally {
    closeSync(fd);
  }
}

/** grantOwner for a directory open as `fd`. Impure. */
export function grantOwnerFd(fd: number, bits: number): void {
  const uid = ownUid();
  if (uid === null) return;
  const st = fstatSync(fd);
  if (lacks(st.mode, st.uid, uid, bits)) fchmodSync(fd, (st.mode & 0o7777) | bits);
}

/** Whether a mode (of a file this process's user owns) lacks `bits` for that user; false for root. Pure. */
export function lacksOwnerBits(mode: number, uid: number, bits: number): boolean {
  const own = ownUid();
  return own !== null && lacks(mode, uid, own, bits);
}

/** Whether `uid` is the `owner` of an entry of this mode and it lacks `bits`. Pure. */
function lacks(mode: number, owner: number, uid: number, bits: number): boolean {
  return owner === uid && (mode & bits) !== bits;
}

/** lacks, for an entry reached by a name: never a link, nor a file with another name (a hard link). Pure. */
function mayGrantNamed(st: Stats, uid: number, bits: number): boolean {
  return !st.isSymbolicLink() && (st.isDirectory() || st.nlink <= 1) && lacks(st.mode, st.uid, uid, bits);
}

function tryChmod(file: string, mode: number): boolean {
  try {
    chmodSync(file, mode);
    return true;
  } catch {
    return false;
  }
}
