import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * The lock files a git that was killed leaves behind (the machine went down, the OOM killer, a
 * second Ctrl-C's SIGKILL): git takes `<file>.lock` with O_EXCL before it writes `<file>`, and
 * removes it as it ends, unless it is killed. While one is there every git that needs it
 * refuses to run ("Unable to create '….lock': File exists").
 */

/** How deep under `refs/` a ref lock is looked for (a branch `engine/<run>` is two levels down). */
const MAX_REF_DEPTH = 8;

/**
 * The lock files in a git dir the engine owns (the engine's git dir of a workspace): its
 * index's and HEAD's, and any under refs/. Links are not followed. Impure (reads directories).
 */
export function locksInGitDir(gitDir: string): string[] {
  const found = ['index.lock', 'HEAD.lock', 'packed-refs.lock'].map((n) => path.join(gitDir, n)).filter(isThere);
  const walk = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.name.endsWith('.lock')) found.push(p);
      else if (e.isDirectory() && depth < MAX_REF_DEPTH) walk(p, depth + 1);
    }
  };
  // A link at refs/ (planted) is not followed: what it names is somebody else's.
  const refs = path.join(gitDir, 'refs');
  if (lstatSync(refs, { throwIfNoEntry: false })?.isDirectory()) walk(refs, 0);
  return found;
}

/** The lock of one branch's ref in a repository's common dir, when it is there. Impure (lstat). */
export function branchLockIn(commonDir: string, branch: string): string[] {
  const lock = `${path.join(commonDir, 'refs', 'heads', ...branch.split('/'))}.lock`;
  return isThere(lock) ? [lock] : [];
}

function isThere(file: string): boolean {
  return lstatSync(file, { throwIfNoEntry: false }) !== undefined;
}
