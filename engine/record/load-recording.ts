import { existsSync, readFileSync, statSync } from 'node:fs';
import { readRegularFileSync } from '../util/read-or-null.js';
import { hashBody } from './normalize-request.js';
import { HOP_HEADERS } from './redact-headers.js';
import path from 'node:path';
import { compileSchema } from '../config/validators.js';
import { schemasDir } from '../paths.js';
import type { ModelRecordingLine, RecordedExchange, RecordingHeader } from './types.js';
import { parseJson } from '../util/parse-json.js';
import { engineCommand } from '../vocabulary/engine-command.js';

/** The file name of a run's recording in its run directory. */
export const RECORDING_FILE = 'model-recording.jsonl';

/**
 * The largest recording read: a golden run's is some hundred KB, whole model answers included;
 * past this the file is refused unread, not read into memory to fail there.
 */
export const MAX_RECORDING_BYTES = 256 * 2 ** 20;

/** A recording that cannot be used; the message says which file and why. */
export class RecordingError extends Error {
  override name = 'RecordingError';
}

/**
 * Read a recording: a run directory (its `model-recording.jsonl`) or the file itself. Throws
 * RecordingError for a missing file, a line that is not JSON or not of the recording schema
 * (schemas/model-recording.schema.json), or a file without its header. Impure (reads files).
 */
export function loadRecording(given: string): { file: string; header: RecordingHeader; exchanges: RecordedExchange[] } {
  const file = existsSync(given) && statSync(given).isDirectory() ? path.join(given, RECORDING_FILE) : given;
  if (!existsSync(file)) throw new RecordingError(`no recording at ${file} (record one with ${engineCommand('run --record')})`);
  let text: string;
  try {
    text = readRegularFileSync(file, 'utf8', MAX_RECORDING_BYTES);
  } catch (error) {
    // A 600 MB file was read whole (1.1 GB resident) and then said to be no regular file.
    const size = (error as { code?: unknown; size?: unknown }).code === 'EFBIG' ? (error as { size: number }).size : null;
    if (size !== null) throw new RecordingError(`${file} is ${size} bytes, more than the ${MAX_RECORDING_BYTES / 2 ** 20} MiB a recording may be: it is not read`);
    throw new RecordingError(`${file} is not a regular file that can be read (a FIFO or a device would hold the engine)`);
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const validate = lineValidator();
  const rows = lines.map((l, i) => {
    let row: unknown;
    try {
      row = parseJson(l);
    } catch {
      throw new RecordingError(`${file}:${i + 1}: not a JSON line`);
    }
    if (!validate(row)) {
      const e = validate.errors?.[0] as { instancePath?: string; message?: string } | undefined;
      throw new RecordingError(`${file}:${i + 1}: not a recording line (schemas/model-recording.schema.json)${e ? `: ${e.instancePath || '/'} ${e.message ?? ''}` : ''}`);
    }
    const bad = (row as ModelRecordingLine).type === 'exchange' ? (unsendable((row as RecordedExchange).response) ?? editedBody((row as RecordedExchange).request)) : null;
    if (bad) throw new RecordingError(`${file}:${i + 1}: ${bad}`);
    return row as ModelRecordingLine;
  });
  const header = rows[0] as RecordingHeader | undefined;
  if (header?.type !== 'recording') throw new RecordingError(`${file}: the first line is not a recording header (type: recording)`);
  const exchanges = rows.slice(1).filter((r): r is RecordedExchange => r.type === 'exchange');
  return { file, header, exchanges };
}

/**
 * Why a recorded response could not be sent as it is, or null: a status that is no final
 * answer (outside 200-599), a header with a line break, or a hop-by-hop header the recorder
 * never keeps (HOP_HEADERS): the replay fills placeholders, so the body it sends is of
 * another length, and a `content-length` edited into a recording held the CLI waiting for
 * bytes that never came. Pure.
 */
function unsendable(r: RecordedExchange['response']): string | null {
  if (!Number.isInteger(r.status) || r.status < 200 || r.status > 599) return `the response's status ${r.status} is no final HTTP status (200-599)`;
  for (const [name, value] of Object.entries(r.headers ?? {})) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(String(value))) return `the response's header ${JSON.stringify(name)} is no header HTTP can send`;
    if (HOP_HEADERS.has(name.toLowerCase())) return `the response's header ${JSON.stringify(name)} is one the recorder never keeps (the replay sets the body's length itself)`;
  }
  return null;
}

/**
 * Why a recorded request's body is not the one recorded (its body_sha256, written with it,
 * differs), or null. Not a signature (whoever edits the body can write the hash too): it tells
 * a recording edited by hand or cut short from the one the run made. Pure.
 */
function editedBody(r: RecordedExchange['request']): string | null {
  return hashBody(r.body) === r.body_sha256 ? null : `the request's body does not match its body_sha256 (the recording was changed since it was made)`;
}

function lineValidator() {
  const text = readFileSync(path.join(schemasDir, 'model-recording.schema.json'), 'utf8');
  return compileSchema(JSON.parse(text) as Record<string, unknown>, text);
}
