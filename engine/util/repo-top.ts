import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The top of the git work tree `dir` is in, as git finds it from there (`rev-parse
 * --show-toplevel`): the nearest directory upward whose `.git` is a repository (isGitDir) or a
 * `gitdir:` file (a linked worktree, a submodule); `dir` itself when none is. Every command's
 * default repo is the one the user stands in: from `src/`, `run` took the shipped pipeline
 * instead of the repo's `.engine/pipeline.yaml`, and `resume`, `report`, `policy` and `init`
 * looked for `src/.engine/`. Impure (stats).
 */
export function repoTopOf(dir: string): string {
  const start = path.resolve(dir);
  for (let d = start; ; ) {
    if (isRepositoryMark(path.join(d, '.git'))) return d;
    const up = path.dirname(d);
    if (up === d) return start;
    d = up;
  }
}

/** A `.git` git itself would take: a directory with HEAD, objects/ and refs/, or a file that starts `gitdir: `. An empty `.git` left in /tmp is neither. Impure. */
function isRepositoryMark(mark: string): boolean {
  const st = statSync(mark, { throwIfNoEntry: false });
  if (st?.isDirectory()) return isGitDir(mark);
  return st?.isFile() === true && startsWithGitdir(mark);
}

function isGitDir(dir: string): boolean {
  const kind = (name: string) => statSync(path.join(dir, name), { throwIfNoEntry: false });
  return kind('HEAD')?.isFile() === true && kind('objects')?.isDirectory() === true && kind('refs')?.isDirectory() === true;
}

function startsWithGitdir(file: string): boolean {
  let fd: number;
  try {
    // Without blocking: a FIFO named .git must not hold the command.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    if (!fstatSync(fd).isFile()) return false;
    const head = Buffer.alloc(8);
    return readSync(fd, head, 0, 8, 0) === 8 && head.toString('latin1') === 'gitdir: ';
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}
