import { closeSync, constants, fstatSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { notRegularError } from './open-regular.js';
import { otherNameError } from './own-names.js';

/**
 * A file of the engine's, opened for writing (created when missing, not emptied) without
 * following a link, and only while it is a regular file with no other name: a symbolic link
 * planted in its place, a hard link to a file elsewhere, or a FIFO (opened without blocking:
 * a plain open for writing waits for a reader, forever) is removed and a fresh file made, so
 * the engine never writes through one nor waits on one. `replaced`: there was such a thing.
 * Impure.
 */
export function openOwnFile(file: string): { fd: number; size: number; replaced: boolean } {
  let fd: number | null = null;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (st.isFile() && st.nlink === 1) return { fd, size: st.size, replaced: false };
  } catch (error) {
    // ELOOP: a link; ENXIO: a FIFO no process reads.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ELOOP' && code !== 'ENXIO') throw error;
  }
  if (fd !== null) closeSync(fd);
  unlinkSync(file);
  return { fd: openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW), size: 0, replaced: true };
}

/**
 * A temp file of the engine's, made new for writing: whatever has its name (a leftover, or a
 * link planted where the name can be guessed) is removed first, and the file is created
 * exclusively, so no link is ever followed. Impure.
 */
export function openFreshFile(file: string, mode = 0o644): number {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  try {
    return openSync(file, flags, mode);
  } catch (error) {
    // The name is taken (a link's too: an exclusive create never follows one).
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  unlinkSync(file);
  return openSync(file, flags, mode);
}

/** openFreshFile, written whole and closed. Impure. */
export function writeFreshFile(file: string, data: string | Uint8Array, mode = 0o644): void {
  const fd = openFreshFile(file, mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
  } finally {
    closeSync(fd);
  }
}

/**
 * Append one line (`line` ends in a newline) to a file of records, created when missing, with
 * a single O_APPEND write (lines of writers appending together do not mix), never through a
 * link found at its name (an error, ELOOP, instead; a FIFO or a device: ENOTREG; a file with
 * another name, a hard link to one of the user's: EMLINK): for records appended line by line
 * in a place a worker without the OS sandbox can write. A torn last line (a crash mid-write)
 * is ended first, so the new line stands alone. Impure.
 */
export function appendOwnLine(file: string, line: string): void {
  const fd = openSync(file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o644);
  try {
    const st = fstatSync(fd);
    // A FIFO or a device at the name is no file of the engine's: an error, as a link is.
    if (!st.isFile()) throw notRegularError(file);
    if (st.nlink > 1) throw otherNameError(file);
    const size = st.size;
    let lead = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) lead = '\n';
    }
    writeSync(fd, lead + line);
  } finally {
    closeSync(fd);
  }
}
