import crypto from 'node:crypto';

/** Node's one-shot hash (Node 20.12 and later), else undefined. */
const oneShot = (crypto as unknown as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }).hash;

/**
 * The sha256 of `data` (a string as UTF-8) in hex. Node's one-shot `crypto.hash` where it
 * exists: for the short inputs hashed many at a time (an index line per run), making and
 * finishing a Hash object cost more than hashing the bytes. Pure.
 */
export function sha256Hex(data: string | Uint8Array): string {
  return oneShot ? oneShot('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex');
}
