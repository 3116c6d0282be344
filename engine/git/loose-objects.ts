import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { writeFreshFile } from '../util/open-own-file.js';

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

/** Whether the deflated bytes of a loose object hash to `id`. Pure. */
export function holdsObject(bytes: Buffer | null, id: string): boolean {
  if (bytes === null) return false;
  try {
    return objectId(inflateSync(bytes)) === id;
  } catch {
    return false;
  }
}

export function readOrNull(file: string): Buffer | null {
  // Most names asked for are new objects: no exception for a missing file.
  if (!existsSync(file)) return null;
  try {
    return readFileSync(file);
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
