/**
 * `error` with `file` as its path when the system gave none: a write or fsync on a descriptor
 * names no file, and a file made immutable while the engine held it open refused the write
 * with a bare `EPERM: operation not permitted, write`. Returns the same error. Impure (mutates
 * the error).
 */
export function nameError(error: unknown, file: string): unknown {
  const e = error as NodeJS.ErrnoException;
  if (e instanceof Error && typeof e.code === 'string' && e.path === undefined) e.path = file;
  return error;
}
