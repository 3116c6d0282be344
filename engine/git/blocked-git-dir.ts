import { accessSync, constants, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { FAN_OUT, GIT_FOLDERS } from './misplaced-entries.js';

/**
 * The engine's git dir of a workspace will not take what git writes there, told from the
 * directory itself, never from git's words (git quotes paths, and a worker names its files):
 * a lock put back each time it was removed (`locked`: a process left running outside the
 * sandbox), or folders the system will not let the engine write (`refused`: their permissions
 * or attributes changed, `chmod`, `chattr +i`). The engine made that directory its own;
 * nothing can be read or written through it meanwhile. Without the OS sandbox only: under it
 * no worker process reaches that directory.
 */
export class EngineGitBlockedError extends Error {
  override name = 'EngineGitBlockedError';
  constructor(
    readonly gitDir: string,
    readonly why: string,
    readonly kind: 'locked' | 'refused',
  ) {
    super(
      kind === 'locked'
        ? `the engine's git dir ${gitDir} keeps being locked (${why}: a process left running outside the sandbox?)`
        : `the engine's git dir ${gitDir} refuses the engine's writes (${why}: its permissions or attributes were changed by something other than the engine?)`,
    );
  }
}

/** The system's answers that say a folder is not the engine's to write any more (a full or read-only disk is the machine's). */
const REFUSED = new Set(['EACCES', 'EPERM']);

/**
 * The first place of the engine's git dir that git or the engine writes and that will not let
 * this process write it, with why; null when every one can be written. The places are the
 * ones git uses, by name (a worker can make millions of others): the dir itself, `info/`,
 * `objects/` and its fan-out folders (`objects/[0-9a-f]{2}`), `pack/` and `info/`, `refs/`,
 * `refs/heads/`, `refs/tags/`, and the index file. Something else where a folder must be (a
 * file, a link: git writes through a link, into whatever it names) refuses too. Asked only
 * once git or the engine failed there, so its cost is on no normal path. Impure (lstat,
 * access, readdir).
 */
function refusedFolder(gitDir: string): string | null {
  const folders = [gitDir, ...GIT_FOLDERS.flatMap((rel) => (rel === 'objects' ? [path.join(gitDir, rel), ...fanOut(path.join(gitDir, rel))] : [path.join(gitDir, rel)]))];
  for (const dir of folders) {
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (st === undefined) continue;
    if (!st.isDirectory()) return `${dir}: ${st.isSymbolicLink() ? 'a link' : 'a file'} where a folder must be`;
    const refused = refusedAccess(dir, constants.W_OK | constants.X_OK);
    if (refused) return refused;
  }
  const index = path.join(gitDir, 'index');
  const st = lstatSync(index, { throwIfNoEntry: false });
  if (st && !st.isFile()) return `${index}: not a file`;
  return st ? refusedAccess(index, constants.R_OK | constants.W_OK) : null;
}

/**
 * What to throw for `error`, a failure of git or of the engine writing in its git dir: the
 * EngineGitBlockedError saying which folder refuses the engine, when one does; else `error`
 * itself. Impure (refusedFolder).
 */
export function blockedOr(gitDir: string, error: unknown): unknown {
  const refused = refusedFolder(gitDir);
  return refused === null ? error : new EngineGitBlockedError(gitDir, refused, 'refused');
}

/** Why `file` cannot be used as `mode` asks (EACCES, EPERM: not the engine's any more), or null. Impure (access). */
function refusedAccess(file: string, mode: number): string | null {
  try {
    accessSync(file, mode);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    return REFUSED.has(code) ? `${file}: ${code === 'EPERM' ? 'operation not permitted' : 'permission denied'}` : null;
  }
}

/** The entries of `objects/` named as git names its fan-out folders (two hex digits), whatever they are. Impure. */
function fanOut(objects: string): string[] {
  try {
    return readdirSync(objects)
      .filter((n) => FAN_OUT.test(n))
      .map((n) => path.join(objects, n));
  } catch {
    return [];
  }
}
