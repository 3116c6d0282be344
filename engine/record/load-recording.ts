import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { compileSchema } from '../config/validators.js';
import { schemasDir } from '../paths.js';
import type { ModelRecordingLine, RecordedExchange, RecordingHeader } from './types.js';

/** The file name of a run's recording in its run directory. */
export const RECORDING_FILE = 'model-recording.jsonl';

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
  if (!existsSync(file)) throw new RecordingError(`no recording at ${file} (record one with engine run --record)`);
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const validate = lineValidator();
  const rows = lines.map((l, i) => {
    let row: unknown;
    try {
      row = JSON.parse(l);
    } catch {
      throw new RecordingError(`${file}:${i + 1}: not a JSON line`);
    }
    if (!validate(row)) {
      const e = validate.errors?.[0] as { instancePath?: string; message?: string } | undefined;
      throw new RecordingError(`${file}:${i + 1}: not a recording line (schemas/model-recording.schema.json)${e ? `: ${e.instancePath || '/'} ${e.message ?? ''}` : ''}`);
    }
    return row as ModelRecordingLine;
  });
  const header = rows[0] as RecordingHeader | undefined;
  if (header?.type !== 'recording') throw new RecordingError(`${file}: the first line is not a recording header (type: recording)`);
  const exchanges = rows.slice(1).filter((r): r is RecordedExchange => r.type === 'exchange');
  return { file, header, exchanges };
}

function lineValidator() {
  const text = readFileSync(path.join(schemasDir, 'model-recording.schema.json'), 'utf8');
  return compileSchema(JSON.parse(text) as Record<string, unknown>, text);
}
