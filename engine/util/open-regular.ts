import { closeSync, constants, fstatSync, lstatSync, openSync, type BigIntStats, type Stats } from 'node:fs';

/** What openRegularSync opened: the descriptor (the caller closes it) and its stat. */
export interface OpenedFile<S> {
  fd: number;
  st: S;
}

/**
 * `file` opened for reading without blocking (with `noFollow`, without following a link
 * either), and the stat of that descriptor; null, the descriptor closed, when it is no regular
 * file. A worker can put a FIFO where the engine reads (open(2) would wait for a writer past
 * SIGINT and SIGTERM) or a link to /dev/zero (a read would never end); a file checked by
 * name and opened after is a file it can swap in between, so the check is of what was
 * opened. Throws as openSync does; with `noFollow`, a link is ELOOP with a message that
 * says it is one. Impure.
 */
export function openRegularSync(file: string, options?: { noFollow?: boolean; bigint?: false }): OpenedFile<Stats> | null;
export function openRegularSync(file: string, options: { noFollow?: boolean; bigint: true }): OpenedFile<BigIntStats> | null;
export function openRegularSync(file: string, options: { noFollow?: boolean; bigint?: boolean } = {}): OpenedFile<Stats | BigIntStats> | null {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (options.noFollow ? constants.O_NOFOLLOW : 0);
  let fd: number;
  try {
    fd = openSync(file, flags);
  } catch (error) {
    throw options.noFollow ? noFollowError(file, error) : error;
  }
  try {
    const st = options.bigint ? fstatSync(fd, { bigint: true }) : fstatSync(fd);
    if (st.isFile()) return { fd, st };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  closeSync(fd);
  return null;
}

/** The error readers throw for what is no regular file (code ENOTREG). Pure. */
export function notRegularError(file: string): Error {
  return Object.assign(new Error(`${file} is not a regular file`), { code: 'ENOTREG' });
}

/** The error a reader that follows no link throws for one (code ELOOP, as open(2) says). Pure. */
export function linkError(file: string): Error {
  return Object.assign(new Error(`${file} is a symbolic link, not followed`), { code: 'ELOOP' });
}

/** What an open of `file` with O_NOFOLLOW threw: ELOOP at a link said as linkError, anything else as it was. Impure (lstat). */
export function noFollowError(file: string, error: unknown): unknown {
  return (error as NodeJS.ErrnoException).code === 'ELOOP' && isLink(file) ? linkError(file) : error;
}

/** Whether `file` itself is a symbolic link (ELOOP with O_NOFOLLOW is also a loop in a folder above it). Impure. */
function isLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}
