import { writeSync, writevSync, fsyncSync, ftruncateSync, closeSync, renameSync, linkSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { openFreshFile, openOwnFile } from '../util/open-own-file.js';
import { makeDirectory } from '../util/make-directory.js';
import { syncDir } from '../util/sync-dir.js';

/**
 * Write a file so that a reader (or a crash, kill -9 included) sees either the old content or
 * the new, never a mix: write a temp file beside it, fsync, rename over, fsync the directory.
 * Impure.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  replaceFile(file, content, { syncData: true });
  syncDir(path.dirname(file));
}

/**
 * Replace a file so that a reader, or a killed process, sees either the old content or the
 * new, never a mix: a temp file beside it renamed over it, without fsync. For derived records
 * (state.json) whose source of truth, the timeline, is fsynced; a machine crash may leave the
 * older version, which resume brings up to date from the timeline. Impure.
 */
export function replaceFile(file: string, content: string | Uint8Array, o: { syncData?: boolean } = {}): void {
  const dir = path.dirname(file);
  makeDirectory(dir);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = openFreshFile(tmp);
  try {
    // Whole, or not at all: a short write on a nearly full file system renamed half a file into place.
    writeAllAt(fd, [typeof content === 'string' ? Buffer.from(content) : content], 0);
    // With syncData the new content is on disk before the rename can be: after a machine
    // crash the file is the old version or the new, never empty.
    if (o.syncData) fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    // No `.<name>.<pid>.tmp` left beside the record for each failed write.
    try {
      unlinkSync(tmp);
    } catch {
      /* gone already */
    }
    throw error;
  }
  closeSync(fd);
  renameSync(tmp, file);
}

/**
 * replaceFile for a record rewritten many times (state.json: a dozen times per milestone),
 * with the same guarantee, without a new inode each time: the content goes into a spare file
 * beside it (`.<name>.spare`), which is renamed over the record after the record's inode was
 * linked as `.<name>.old`; that link then becomes the next spare. Nothing is allocated or
 * freed, so the cost does not grow as a filesystem that skips recently freed inodes (ext4
 * without a journal) fills with the ones each temp-and-rename frees. The spare is opened
 * without following a link and taken only while it has no other name, so a link planted in
 * its place is never written through. Impure.
 */
export function rewriteFile(file: string, content: string | Uint8Array | readonly Uint8Array[], o: { syncData?: boolean } = {}): void {
  const dir = path.dirname(file);
  const spare = path.join(dir, `.${path.basename(file)}.spare`);
  const old = path.join(dir, `.${path.basename(file)}.old`);
  const { fd, size } = openOwnFile(spare);
  try {
    const parts = typeof content === 'string' ? [Buffer.from(content)] : content instanceof Uint8Array ? [content] : content;
    // Written over the old bytes from the start, then cut to length only when the spare was
    // longer: emptying it first would free its blocks and allocate them again, which costs
    // the filesystem more than the write itself.
    const length = writeAllAt(fd, parts, 0);
    if (size > length) ftruncateSync(fd, length);
    if (o.syncData) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (!linkAside(file, old)) {
    renameSync(spare, file);
    return;
  }
  renameSync(spare, file);
  renameSync(old, spare);
}

/**
 * Write the parts one after the other from `position` (one writev for up to 1,024 of them,
 * again for what a short write left). Returns how many bytes that was. Impure.
 */
export function writeAllAt(fd: number, parts: readonly Uint8Array[], position: number): number {
  let left = parts.filter((p) => p.length > 0);
  let at = position;
  while (left.length) {
    const batch = left.slice(0, 1024);
    let written = batch.length === 1 ? writeSync(fd, batch[0]!, 0, batch[0]!.length, at) : writevSync(fd, batch as Uint8Array[], at);
    // A write that takes nothing would be asked again for ever.
    if (written === 0) throw noByteTaken();
    at += written;
    // What this write did not take: the parts after the ones it wrote whole, the rest of a cut one first.
    let i = 0;
    while (i < batch.length && written >= batch[i]!.length) written -= batch[i++]!.length;
    left = i < batch.length ? [batch[i]!.subarray(written), ...batch.slice(i + 1), ...left.slice(batch.length)] : left.slice(batch.length);
  }
  return at - position;
}

/**
 * The error of a write that took no byte and reported none: a nearly full file system's way
 * of saying it has no room (asked again, it would take nothing for ever). As the system says
 * ENOSPC, so that callers that name file-system errors name this one too. Pure.
 */
export function noByteTaken(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
}

/** Link the record's current inode as `old` (replacing a leftover); false when there is no record yet. */
function linkAside(file: string, old: string): boolean {
  try {
    linkSync(file, old);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code !== 'EEXIST') throw error;
  }
  unlinkSync(old);
  linkSync(file, old);
  return true;
}

/** JSON of a record as the store writes it: two-space indent and a final newline. Pure. */
export function toRecordJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
