/**
 * A descriptor a child reads fixed bytes from, from the start (bubblewrap's `--seccomp`
 * program). The bytes go once into a file of this process (made O_EXCL without following a
 * link, removed at once: only its descriptor is left, which no sandboxed process can reach),
 * and each child gets a descriptor of its own opened again through /proc/self/fd, so every
 * one reads from offset 0 (a shared descriptor's offset would be at the end after the first
 * reader). Where that cannot be done, a file is made for the one child. Impure (files).
 */
import { closeSync, constants, openSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

/** One file per content (keyed by the bytes themselves: a caller's new Buffer of the same bytes shares it). */
const kept = new Map<string, number>();

/**
 * A new descriptor reading `bytes` from their start, which the caller closes once the child
 * has it; null when no file can be made (no writable temp dir): the caller pipes the bytes.
 */
export function openInputFd(bytes: Buffer): number | null {
  const key = bytes.toString('base64');
  let fd = kept.get(key);
  if (fd === undefined) {
    const made = writeRemovedFile(bytes);
    if (made === null) return null;
    kept.set(key, (fd = made));
  }
  try {
    return openSync(`/proc/self/fd/${fd}`, constants.O_RDONLY);
  } catch {
    return writeRemovedFile(bytes);
  }
}

/** A removed file holding `bytes`, open for reading at its start. */
function writeRemovedFile(bytes: Buffer): number | null {
  const file = path.join(os.tmpdir(), `engine-input-${process.pid}-${randomBytes(6).toString('hex')}`);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  let writer: number;
  try {
    writer = openSync(file, flags, 0o600);
  } catch {
    return null;
  }
  try {
    writeSync(writer, bytes);
    return openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } finally {
    closeSync(writer);
    try {
      unlinkSync(file);
    } catch {
      /* left for the system's temp clean-up: it holds no secret */
    }
  }
}
