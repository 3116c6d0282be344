import { describeFsError } from './describe-fs-error.js';

/**
 * The system refusing the engine a file or folder it needs (to write or to remove): another owner (a `sudo git`
 * left root-owned refs or objects in the user's `.git`), a mode, an attribute (`chattr +i`).
 * Neither the user's input nor the engine is wrong then, and the user gives the place back
 * (docs/errors.md, E_PERMISSION, exit 77).
 */

/** The system's error codes of a refused permission. */
const REFUSED_CODES = new Set(['EACCES', 'EPERM']);

/**
 * The calls on files and folders whose refusal is this, with or without a path: a write to a
 * file the engine holds open that was made immutable meanwhile names none. Not `kill` (a
 * signal another user's process refuses) nor anything else that is no file.
 */
const FILE_CALLS = /^(open|close|read|write|writev|fsync|fdatasync|ftruncate|mkdir|mkdtemp|rmdir|rm|unlink|rename|link|symlink|readlink|copyfile|chmod|fchmod|chown|fchown|utime|futime|lutime|access|stat|lstat|fstat|scandir|opendir|realpath|spawn)\b/;

/**
 * What git says of a file it was not allowed to create or write: the system's words at the end
 * of its line (strerror, as in `Unable to create '<path>.lock': Operation not permitted`), or
 * its own of the object store. Only at a line's end: a path a worker named is quoted inside it.
 */
const REFUSED_WORDS = /(?:: (Permission denied|Operation not permitted)|(insufficient permission) for adding an object to repository database .*)$/;

/**
 * Where and how the system refused the engine, in words (`mkdir /x/y: operation not
 * permitted`), or null when the error is not a refused permission on a file. Told from a Node
 * file-system error's code and call (its path when it has one; `rm` for remove-tree.ts's deep
 * removals), worded as describeFsError words it; or from git's own words in a GitError's
 * stderr (only there: any other message can quote what a worker said). Pure.
 */
export function permissionRefusalOf(error: unknown): string | null {
  const e = error as (NodeJS.ErrnoException & { stderr?: unknown }) | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const call = String(e?.syscall ?? '');
  const fs = REFUSED_CODES.has(code) && FILE_CALLS.test(call) ? describeFsError(error) : null;
  if (fs) return `${call.replace(/^spawn .*/, 'spawn')} ${fs.path ?? '(a file the engine had open)'}: ${fs.why}`;
  if (e?.name !== 'GitError' || typeof e.stderr !== 'string') return null;
  for (const line of e.stderr.split('\n')) {
    const m = REFUSED_WORDS.exec(line.trimEnd());
    if (!m || !/^(fatal|error): /.test(line)) continue;
    const words = (m[1] ?? m[2]!).toLowerCase();
    const named = /'(\/[^']+)'/.exec(line)?.[1];
    return named ? `git could not write ${named}: ${words}` : `git was refused a file: ${words}`;
  }
  return null;
}
