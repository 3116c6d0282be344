import { MAX_RECORD_BYTES, readRegularFileSync } from './read-or-null.js';
import { parseJson } from './parse-json.js';

// A run directory's own records (state.json, timeline.jsonl, env.json, a call's meta.json,
// summary.md, the lock) and the store's index are files the engine writes, never a link.
// Without the OS sandbox a worker can replace one with a link out of the store (to
// ~/.ssh/id_rsa, /etc/passwd): read through it, `report` showed what it found. These readers
// open the last component without following a link (O_NOFOLLOW), so such a record cannot be
// read (ELOOP) and the run counts as damaged. Nor can one with another name, a hard link to a
// file of the user's (own-names.ts; EMLINK). The folders above (ENGINE_HOME, the store,
// `.engine`) may be links; the user's config files, given through a link, are read by the
// readers of read-or-null.ts, which follow it.

/** readRegularFileSync of a run's record: a regular file, never through a link (ELOOP), with no other name (EMLINK). Impure. */
export function readRunFileSync(file: string, encoding?: undefined, maxBytes?: number): Buffer;
export function readRunFileSync(file: string, encoding: 'utf8', maxBytes?: number): string;
export function readRunFileSync(file: string, encoding?: 'utf8', maxBytes = Infinity): Buffer | string {
  const options = { noFollow: true, ownNames: true };
  return encoding ? readRegularFileSync(file, encoding, maxBytes, options) : readRegularFileSync(file, undefined, maxBytes, options);
}

/** A run record's text: readRunFileSync up to MAX_RECORD_BYTES (EFBIG past it, unread). Impure. */
export function readRunRecordText(file: string): string {
  return readRunFileSync(file, 'utf8', MAX_RECORD_BYTES);
}

/** A run record's JSON: readRunRecordText parsed with parseJson (too deep: SyntaxError). Impure. */
export function readRunRecordJson(file: string): unknown {
  return parseJson(readRunRecordText(file));
}

/** A run record's text, or null when it cannot be read (missing, a link, no regular file, past `maxBytes`). Impure. */
export function readRunTextOrNull(file: string, maxBytes = MAX_RECORD_BYTES): string | null {
  try {
    return readRunFileSync(file, 'utf8', maxBytes);
  } catch {
    return null;
  }
}
