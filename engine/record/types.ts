/**
 * The shapes of a model-traffic recording (`model-recording.jsonl` in a run directory): one
 * header line, then one line per exchange. The line types come from
 * schemas/model-recording.schema.json. Types only.
 */
export type { ModelRecordingLine, RecordingHeader, RecordedExchange } from '../generated/model-recording.js';

/** A run-specific string (a path, the branch) and the placeholder stored in its place. */
export interface Substitution {
  name: string;
  value: string;
}
