import { closeSync, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fdPath, NO_DESCRIPTORS, openWithin, removeWithin } from '../util/remove-tree.js';

/**
 * The lock files a git that was killed leaves behind (the machine went down, the OOM killer, a
 * second Ctrl-C's SIGKILL): git takes `<file>.lock` with O_EXCL before it writes `<file>`, and
 * removes it as it ends, unless it is killed. While one is there every git that needs it
 * refuses to run ("Unable to create '….lock': File exists").
 *
 * Every path here is relative to a root (a git dir), reached and removed one folder at a time
 * without following a link (util/remove-tree.ts): without the OS sandbox a process a worker
 * left running can swap a folder under refs/ for a link while the engine looks, and a removal
 * by name would then delete the user's `Cargo.lock` or `yarn.lock` wherever the link points.
 */

/** A lock file: where it lies and its path inside that root. */
export interface LockFile {
  root: string;
  rel: string;
}

/** How deep under `refs/` a ref lock is looked for (a branch `engine/<run>` is two levels down). */
const MAX_REF_DEPTH = 8;

/**
 * The lock files in a git dir the engine owns (the engine's git dir of a workspace): its
 * index's, HEAD's and packed refs', and any under refs/ (a folder named `*.lock` too: git
 * cannot take that name either). Impure (reads directories).
 */
export function locksInGitDir(gitDir: string): LockFile[] {
  const found = ['index.lock', 'HEAD.lock', 'packed-refs.lock'].filter((n) => lstatSync(path.join(gitDir, n), { throwIfNoEntry: false }) !== undefined);
  const walk = (rel: string, depth: number): void => {
    for (const e of listWithin(gitDir, rel)) {
      const child = `${rel}/${e.name}`;
      if (e.name.endsWith('.lock')) found.push(child);
      else if (e.isDirectory() && depth < MAX_REF_DEPTH) walk(child, depth + 1);
    }
  };
  walk('refs', 0);
  return found.map((rel) => ({ root: gitDir, rel }));
}

/** The lock of one branch's ref in a repository's common dir, when it is there (reached without following a link). Impure. */
export function branchLockIn(commonDir: string, branch: string): LockFile[] {
  const parts = ['refs', 'heads', ...branch.split('/')];
  const name = `${parts.pop()!}.lock`;
  return listWithin(commonDir, parts.join('/')).some((e) => e.name === name) ? [{ root: commonDir, rel: [...parts, name].join('/') }] : [];
}

/** A lock's path, for messages and for asking who holds it open. Pure. */
export function lockPath(lock: LockFile): string {
  return path.join(lock.root, lock.rel);
}

/**
 * Removes a lock, file or folder, without following a link on the way; one already gone is no
 * error. False when the system refused (no permission: a folder made read-only). Impure.
 */
export function removeLock(lock: LockFile): boolean {
  try {
    removeWithin(lock.root, lock.rel);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTEMPTY') return false;
    throw error;
  }
}

/** The entries of the folder `rel` inside `root`, reached without following a link; none when it is not a folder of its own. Impure. */
function listWithin(root: string, rel: string) {
  let fd: number | null;
  try {
    fd = openWithin(root, rel);
  } catch {
    return [];
  }
  if (fd === null) return [];
  try {
    return readdirSync(fd === NO_DESCRIPTORS ? path.join(root, rel) : fdPath(fd), { withFileTypes: true });
  } catch {
    return [];
  } finally {
    if (fd !== NO_DESCRIPTORS) closeSync(fd);
  }
}
