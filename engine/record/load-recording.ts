import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { RecordedExchange, RecordingHeader } from './types.js';

/** The file name of a run's recording in its run directory. */
export const RECORDING_FILE = 'model-recording.jsonl';

/** A recording that cannot be used; the message says which file and why. */
export class RecordingError extends Error {
  override name = 'RecordingError';
}

/**
 * Read a recording: a run directory (its `model-recording.jsonl`) or the file itself. Throws
 * RecordingError for a missing file, a line that is not JSON, or a file without its header.
 * Impure (reads the file).
 */
export function loadRecording(given: string): { file: string; header: RecordingHeader; exchanges: RecordedExchange[] } {
  const file = existsSync(given) && statSync(given).isDirectory() ? path.join(given, RECORDING_FILE) : given;
  if (!existsSync(file)) throw new RecordingError(`no recording at ${file} (record one with engine run --record)`);
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const rows = lines.map((l, i) => {
    try {
      return JSON.parse(l) as { type?: string };
    } catch {
      throw new RecordingError(`${file}:${i + 1}: not a JSON line`);
    }
  });
  const header = rows[0] as RecordingHeader | undefined;
  if (header?.type !== 'recording') throw new RecordingError(`${file}: the first line is not a recording header (type: recording)`);
  const exchanges = rows.slice(1).filter((r): r is RecordedExchange => r.type === 'exchange');
  return { file, header, exchanges };
}
