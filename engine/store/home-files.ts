import { randomBytes } from 'node:crypto';
import { closeSync, constants, lstatSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { removeFile, removeTree } from '../util/remove-tree.js';
import { openRegularSync } from '../util/open-regular.js';

/**
 * Files the engine keeps in a directory a worker can write too: the worker's home, bound
 * writable into its sandbox, where the engine writes before the worker's next call (codex's
 * config.toml and output schema, the replay worker's count). Whatever the worker left at
 * such a name — a link to the user's files, a dangling link, a directory, a FIFO — the engine
 * neither writes through it nor blocks on it.
 */

/**
 * Write `text` as `dir/name`. The file is made new beside the name (O_CREAT|O_EXCL|O_NOFOLLOW,
 * a random name: it cannot be a link) and renamed over the name: a rename replaces a link, it
 * does not follow it. A directory at the name is removed first (links inside it unlinked, not
 * followed). `dir` itself, when it is a link (a worker without a sandbox can replace its home),
 * becomes a directory again. Impure.
 */
export function writeHomeFile(dir: string, name: string, text: string): void {
  ensureDirectory(dir);
  const file = path.join(dir, name);
  const tmp = path.join(dir, `.engine-${randomBytes(8).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  try {
    if (lstatSync(file, { throwIfNoEntry: false })?.isDirectory()) removeTree(file);
    renameSync(tmp, file);
  } catch (error) {
    removeFile(tmp);
    throw error;
  }
}

/**
 * The text of `dir/name` when it is a regular file; null when it is missing or anything else
 * (a link is not followed, a FIFO not waited on). Impure.
 */
export function readHomeFile(dir: string, name: string): string | null {
  let opened;
  try {
    opened = openRegularSync(path.join(dir, name), { noFollow: true });
  } catch {
    return null;
  }
  if (!opened) return null;
  try {
    return readFileSync(opened.fd, 'utf8');
  } finally {
    closeSync(opened.fd);
  }
}

/** `dir` as a real directory: made when missing, a link or a file there removed first. Impure. */
export function ensureDirectory(dir: string): void {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (st?.isDirectory()) return;
  if (st) removeFile(dir);
  mkdirSync(dir, { recursive: true });
}
