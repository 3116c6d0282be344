import { statSync, type Stats } from 'node:fs';
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
  const st = statOrNull(mark);
  if (st?.isDirectory()) return isGitDir(mark);
  // Read without blocking (readTextOrNull): a FIFO named .git must not hold the command.
  return st?.isFile() === true && readTextOrNull(mark)?.startsWith('gitdir: ') === true;
}

/** A directory git takes for a repository's git dir: HEAD, objects/ and refs/ in it (a bare repository is one). Impure (stats). */
export function isGitDir(dir: string): boolean {
  const kind = (name: string) => statOrNull(path.join(dir, name));
  return kind('HEAD')?.isFile() === true && kind('objects')?.isDirectory() === true && kind('refs')?.isDirectory() === true;
}

/**
 * A path's stat, or null where there is nothing to stat: missing, or a path through a file
 * (`--repo /tmp/afile` looked for /tmp/afile/.git: ENOTDIR, exit 70), a link loop, a folder
 * not to be read. Impure.
 */
function statOrNull(file: string): Stats | null {
  try {
    return statSync(file, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

/**
 * What is wrong with a `--repo` directory before anything looks for a repository in it: it is
 * not there, or it is a file (or a path through one). null: a directory. `policy --repo
 * /nonexistent` printed the built-in defaults, a typo dropping the repo's layer without a
 * word; `--repo /tmp/afile` ended several commands with ENOTDIR (exit 70). Impure (stats).
 */
export function repoDirProblem(given: string, dir: string): string | null {
  const st = statOrNull(dir);
  if (!st) return `--repo ${given}: no such directory`;
  return st.isDirectory() ? null : `--repo ${given} is a file, not a directory`;
}
