import { closeSync, constants, readFileSync, readSync, type BigIntStats, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { notRegularError, openRegularSync, type OpenedFile } from './open-regular.js';
import { hasOwnNamesOnly, otherNameError } from './own-names.js';
import { parseJson } from './parse-json.js';

/**
 * A file's text (UTF-8), or null when it cannot be read (missing, a directory, not allowed) or
 * is no regular file: a FIFO would block the engine until someone writes to it, a device such
 * as /dev/zero never ends, and a worker can put either where the engine reads config (a CLI's
 * settings in the user's home). Opened without blocking, checked, then read; null too past
 * `maxBytes`, unread. Impure.
 */
export function readTextOrNull(file: string, maxBytes = Infinity): string | null {
  try {
    return readRegularFileSync(file, 'utf8', maxBytes);
  } catch {
    return null;
  }
}

/** A file's JSON, or null when it cannot be read or is not JSON (nested past parseJson's limit included). Impure. */
export function readJsonOrNull(file: string): unknown {
  const text = readTextOrNull(file);
  if (text === null) return null;
  try {
    return parseJson(text);
  } catch {
    return null;
  }
}

/**
 * A file's text (UTF-8); throws as readFile does, and for what is no regular file (a FIFO
 * would hold the engine until someone writes to it, a device such as /dev/zero never ends):
 * opened without blocking, checked, then read. Impure.
 */
export async function readRegularText(file: string): Promise<string> {
  return (await readRegularBytes(file)).toString('utf8');
}

/**
 * readRegularText's bytes, undecoded: a directory throws EISDIR, any other file that is no
 * regular one ENOTREG, one larger than `maxBytes` EFBIG (before it is read: a 150 MB policy
 * took `validate` to a 4 GB heap and an abort). Impure.
 */
export async function readRegularBytes(file: string, maxBytes = Infinity): Promise<Buffer> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw Object.assign(new Error(`${file} is a directory`), { code: 'EISDIR' });
    if (!st.isFile()) throw notRegularError(file);
    if (st.size > maxBytes) throw tooLargeError(file, st.size, maxBytes);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * How a reader opens a file: with `noFollow`, never through a link in its last component
 * (ELOOP); with `ownNames`, only while it has no name but the engine's (hasOwnNamesOnly; EMLINK).
 */
export interface ReadOptions {
  noFollow?: boolean;
  ownNames?: boolean;
}

/**
 * readFileSync for a record the engine reads back (a run's timeline, state.json, env.json, a
 * lock): throws as readFileSync does, and ENOTREG for what is no regular file, opened without
 * blocking first. Without the OS sandbox a worker can put a FIFO at a record's name: read as
 * it was, it held `engine resume` in open(2) past SIGINT and SIGTERM, and `report --all` with
 * it. One larger than `maxBytes`: EFBIG, before it is read. With `noFollow`, a link is ELOOP
 * (readRunFileSync: a run's own records); with `ownNames`, a hard link is EMLINK. Impure.
 */
export function readRegularFileSync(file: string, encoding?: undefined, maxBytes?: number, options?: ReadOptions): Buffer;
export function readRegularFileSync(file: string, encoding: 'utf8', maxBytes?: number, options?: ReadOptions): string;
export function readRegularFileSync(file: string, encoding?: 'utf8', maxBytes = Infinity, options: ReadOptions = {}): Buffer | string {
  const { fd, st } = openForReading(file, options);
  try {
    if (st.size > maxBytes) throw tooLargeError(file, st.size, maxBytes);
    return encoding ? readFileSync(fd, encoding) : readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * `file` opened as readRegularFileSync reads it. With `ownNames`, opened again (three times in
 * all) while it has another name: state.json has a second one for the moment rewriteFile swaps
 * it, and the next open finds the record that replaced it. Impure.
 */
function openForReading(file: string, options: ReadOptions): OpenedFile<Stats> {
  for (let attempt = 1; ; attempt++) {
    const opened = openRegularSync(file, { noFollow: options.noFollow === true });
    if (!opened) throw notRegularError(file);
    if (!options.ownNames || hasOwnNamesOnly(file, opened.st, opened.fd)) return opened;
    closeSync(opened.fd);
    if (attempt === 3) throw otherNameError(file);
  }
}

/**
 * The most of a record the engine writes and reads back (state.json, env.json, a lock, the
 * config manifest): far past any it writes (a 200-milestone run's state.json is tens of KB).
 * Without the OS sandbox a worker can grow one: a 600 MB state.json cost `report` and `resume`
 * 8 s of CPU and a GB of memory to say that no string could be made of it.
 */
export const MAX_RECORD_BYTES = 16 * 2 ** 20;

/** A record's text: readRegularFileSync (no FIFO, no directory) up to MAX_RECORD_BYTES, EFBIG past it, unread. Impure. */
export function readRecordText(file: string): string {
  return readRegularFileSync(file, 'utf8', MAX_RECORD_BYTES);
}

/**
 * A record's JSON: readRecordText, parsed with parseJson (a value nested past its limit is a
 * SyntaxError: a state.json nested 200,000 deep was an internal error in `report`). Impure.
 */
export function readRecordJson(file: string): unknown {
  return parseJson(readRecordText(file));
}

/**
 * The last `maxBytes` of a regular file as text (opened without blocking; a FIFO is refused),
 * starting at a whole character: read from its end, not whole. Impure.
 */
export function readTailSync(file: string, maxBytes: number): string {
  const opened = openRegularSync(file);
  if (!opened) throw notRegularError(file);
  const { fd, st } = opened;
  try {
    const len = Math.min(maxBytes, st.size);
    const buf = Buffer.alloc(len);
    const n = readSync(fd, buf, 0, len, st.size - len);
    let start = 0;
    // A UTF-8 continuation byte (10xxxxxx) begins no character.
    while (start < n && start < 3 && (buf[start]! & 0xc0) === 0x80) start++;
    return buf.subarray(start, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * A file of a workspace, read through one descriptor opened without following a link and
 * without blocking, and only when that descriptor is a regular file: one a worker's leftover
 * process swaps for a FIFO or a link after the engine's lstat is never waited on or followed.
 * Its bytes and its stat (of what was read); null otherwise. Impure.
 */
export function readPlainFileSync(file: string): { bytes: Buffer; st: BigIntStats } | null {
  let opened;
  try {
    opened = openRegularSync(file, { noFollow: true, bigint: true });
  } catch {
    return null;
  }
  if (!opened) return null;
  try {
    return { bytes: readFileSync(opened.fd), st: opened.st };
  } finally {
    closeSync(opened.fd);
  }
}

/** The error a reader throws for a file past its size limit, unread (code EFBIG). Pure. */
function tooLargeError(file: string, size: number, maxBytes: number): Error {
  return Object.assign(new Error(`${file} is ${size} bytes, more than ${maxBytes}`), { code: 'EFBIG', size });
}
