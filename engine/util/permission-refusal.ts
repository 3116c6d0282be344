/**
 * The system refusing the engine a file or folder it must write: another owner (a `sudo git`
 * left root-owned refs or objects in the user's `.git`), a mode, an attribute (`chattr +i`).
 * Neither the user's input nor the engine is wrong then, and the user gives the place back
 * (docs/errors.md, E_PERMISSION, exit 77).
 */

/** The system's error codes of a refused permission. */
const REFUSED_CODES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/**
 * What git says of a file it was not allowed to create or write: the system's words at the end
 * of its line (strerror, as in `Unable to create '<path>.lock': Operation not permitted`), or
 * its own of the object store. Only at a line's end: a path a worker named is quoted inside it.
 */
const REFUSED_WORDS = /(?:: (Permission denied|Operation not permitted)|(insufficient permission) for adding an object to repository database .*)$/;

/**
 * Where and how the system refused the engine, in words (`mkdir /x/y: operation not
 * permitted`), or null when the error is not a refused permission on a file. Told from a
 * Node file-system error's code and path (a signal refused to another user's process has no
 * path: not a file, and not this), or from git's words in the error's message or stderr.
 * Pure.
 */
export function permissionRefusalOf(error: unknown): string | null {
  const e = error as (NodeJS.ErrnoException & { stderr?: unknown }) | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (REFUSED_CODES[code] && typeof e?.path === 'string') return `${String(e.syscall ?? 'access').replace(/^spawn .*/, 'spawn')} ${e.path}: ${REFUSED_CODES[code]}`;
  const text = `${typeof e?.message === 'string' ? e.message : ''}\n${typeof e?.stderr === 'string' ? e.stderr : ''}`;
  for (const line of text.split('\n')) {
    const m = REFUSED_WORDS.exec(line.trimEnd());
    if (!m || !/\b(fatal|error):/.test(line)) continue;
    const words = (m[1] ?? m[2]!).toLowerCase();
    const named = /'(\/[^']+)'/.exec(line)?.[1];
    return named ? `git could not write ${named}: ${words}` : `git was refused a file: ${words}`;
  }
  return null;
}
