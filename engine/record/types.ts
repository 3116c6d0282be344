/**
 * The shapes of a model-traffic recording (`model-recording.jsonl` in a run directory,
 * schemas/model-recording.schema.json): one header line, then one line per exchange.
 * Types only.
 */

/** A run-specific string (a path, the run id) and the placeholder stored in its place. */
export interface Substitution {
  name: string;
  value: string;
}

/** First line of a recording. */
export interface RecordingHeader {
  type: 'recording';
  schema_version: 1;
  engine_version: string;
  run_id: string;
  /** The upstream the exchanges went to (the scripted model or a worker's model_endpoint). */
  upstream: string;
  /** Names of the placeholders (`{{name}}`) that stand for run-specific strings. */
  placeholders: string[];
}

/** One request and its response as the upstream gave it. */
export interface RecordedExchange {
  type: 'exchange';
  /** 1-based, in the order the requests arrived. */
  seq: number;
  /** The worker of the step named in the request's engine headers, or null (CLI housekeeping). */
  worker: string | null;
  /** What the request is matched by on replay (see exchangeKey). */
  key: string;
  /** 0-based position among the exchanges with the same key. */
  index: number;
  request: {
    method: string;
    path: string;
    /** Request headers, secrets redacted. */
    headers: Record<string, string>;
    /** sha256 of the normalised body (hex), '' without a body. */
    body_sha256: string;
    /** The normalised body: volatile fields dropped, run-specific strings as placeholders. */
    body: unknown;
  };
  response: {
    status: number;
    headers: Record<string, string>;
    /** The body as the upstream sent it (a stream's events whole), run-specific strings as placeholders. */
    body: string;
  };
}
