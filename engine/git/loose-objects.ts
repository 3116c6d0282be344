import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { writeFreshFile } from '../util/open-own-file.js';
import { readRegularFileSync } from '../util/read-or-null.js';

/**
 * Loose objects as files, read and written by the engine itself (the commit of a checkpoint,
 * the trees of a snapshot, the copies into the user's store). Without the OS sandbox a
 * worker can write the engine's store, so a file is trusted only when its bytes hash to its
 * name, and a new one is made under a fresh temp name (no link followed) and renamed in.
 */

/** Where a loose object lives in an objects directory. Pure. */
export function looseObjectPath(objectsDir: string, id: string): string {
  return path.join(objectsDir, id.slice(0, 2), id.slice(2));
}

/** The id of an object's whole bytes (`<type> <size>\0<body>`). Pure. */
export function objectId(object: Uint8Array): string {
  return createHash('sha1').update(object).digest('hex');
}

/**
 * The deflated bytes of a loose object (zlib, fastest level, as git writes loose objects),
 * with a window and hash no larger than the object needs: zlib's defaults set up about 256 KB
 * of state per call, which the allocator maps and unmaps afresh each time; a tree or a commit
 * of a few hundred bytes needs a few KB. Any window up to 32 KB reads back in git. Pure.
 */
export function deflateObject(object: Uint8Array): Buffer {
  const windowBits = Math.min(15, Math.max(9, Math.ceil(Math.log2(object.length + 1))));
  return deflateSync(object, { level: 1, windowBits, memLevel: Math.max(1, windowBits - 7) });
}

/**
 * Whether the deflated bytes of a loose object hash to `id`. `maxBytes` bounds what they may
 * inflate to (a file rewritten after the gate read it can be a small file that inflates to
 * gigabytes): past it they hold no object the engine wrote. Pure.
 */
export function holdsObject(bytes: Buffer | null, id: string, maxBytes?: number): boolean {
  if (bytes === null) return false;
  try {
    return objectId(inflateSync(bytes, maxBytes === undefined ? {} : { maxOutputLength: maxBytes })) === id;
  } catch {
    return false;
  }
}

export function readOrNull(file: string): Buffer | null {
  // Most names asked for are new objects: no exception for a missing file.
  if (!existsSync(file)) return null;
  try {
    // Without blocking, and only a regular file: a FIFO put at an object's name would hold the engine.
    return readRegularFileSync(file);
  } catch {
    return null;
  }
}

/** A loose object file written as git writes one: a fresh temp name, read-only, renamed into place. Impure. */
export function writeObjectFile(file: string, bytes: Uint8Array): void {
  const tmp = path.join(path.dirname(file), `tmp_obj_engine_${process.pid}_${path.basename(file).slice(0, 8)}`);
  // Made read-only as it is created: a mode set by name afterwards would follow a link put there meanwhile.
  try {
    writeFreshFile(tmp, bytes, 0o444);
  } catch (error) {
    // The fan-out directory is made when its first object is.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFreshFile(tmp, bytes, 0o444);
  }
  renameSync(tmp, file);
}
