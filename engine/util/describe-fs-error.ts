/**
 * A file system error in words a user acts on ("is a directory, not a file"), or null when
 * the error is not one the file system gave (a bug is not to be worded as bad input). Pure.
 */
export function describeFsError(error: unknown): { path: string | null; why: string } | null {
  const e = error as NodeJS.ErrnoException | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const why = FS_WORDS[code];
  if (!why || typeof e?.syscall !== 'string') return null;
  return { path: typeof e.path === 'string' ? e.path : null, why: code === 'EEXIST' && e.syscall === 'mkdir' ? 'is a file, not a directory' : why };
}

/**
 * A described error's words for a message about `place`: why, and where when that is another
 * path than the place itself (`permission denied (at /a/b)`). Pure.
 */
export function whyAt(fs: { path: string | null; why: string }, place: string): string {
  return `${fs.why}${fs.path && fs.path !== place ? ` (at ${fs.path})` : ''}`;
}

const FS_WORDS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'already exists',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
};
