import { statSync } from 'node:fs';
import path from 'node:path';
import { readTextOrNull } from './read-or-null.js';

/**
 * The top of the git work tree `dir` is in, as git finds it from there (`rev-parse
 * --show-toplevel`): the nearest directory upward whose `.git` is a repository (isGitDir) or a
 * `gitdir:` file (a linked worktree, a submodule); `dir` itself when none is. Every command's
 * default repo is the one the user stands in: from `src/`, `run` took the shipped pipeline
 * instead of the repo's `.engine/pipeline.yaml`, and `resume`, `report`, `policy` and `init`
 * looked for `src/.engine/`. Impure (stats).
 */
export function repoTopOf(dir: string): string {
  return findRepoTop(dir) ?? path.resolve(dir);
}

/** The top of the git work tree `dir` is in, as repoTopOf finds it; null when `dir` is in none. Impure (stats). */
export function findRepoTop(dir: string): string | null {
  for (let d = path.resolve(dir); ; ) {
    if (isRepositoryMark(path.join(d, '.git'))) return d;
    const up = path.dirname(d);
    if (up === d) return null;
    d = up;
  }
}

/** A `.git` git itself would take: a directory with HEAD, objects/ and refs/, or a file that starts `gitdir: `. An empty `.git` left in /tmp is neither. Impure. */
function isRepositoryMark(mark: string): boolean {
  const st = statSync(mark, { throwIfNoEntry: false });
  if (st?.isDirectory()) return isGitDir(mark);
  // Read without blocking (readTextOrNull): a FIFO named .git must not hold the command.
  return st?.isFile() === true && readTextOrNull(mark)?.startsWith('gitdir: ') === true;
}

/** A directory git takes for a repository's git dir: HEAD, objects/ and refs/ in it (a bare repository is one). Impure (stats). */
export function isGitDir(dir: string): boolean {
  const kind = (name: string) => statSync(path.join(dir, name), { throwIfNoEntry: false });
  return kind('HEAD')?.isFile() === true && kind('objects')?.isDirectory() === true && kind('refs')?.isDirectory() === true;
}
