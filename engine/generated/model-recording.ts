/* Generated from schemas/ by scripts/generate-types.mjs — do not edit; run `npm run gen`. */

/**
 * One line of a model-traffic recording (model-recording.jsonl, written by engine run --record, read by --replay; docs/record-replay.md): the header first, then one exchange a line.
 */
export type ModelRecordingLine = RecordingHeader | RecordedExchange;

/**
 * First line of a recording.
 */
export interface RecordingHeader {
  /**
   * Marks the header line.
   */
  type: 'recording';
  /**
   * Version of this format.
   */
  schema_version: 1;
  /**
   * Version of the engine that recorded.
   */
  engine_version: string;
  /**
   * The recorded run.
   */
  run_id: string;
  /**
   * The origin the exchanges went to (the scripted model or the workers' model_endpoint).
   */
  upstream: string;
  /**
   * Names of the placeholders that stand for run-specific strings (workspace, run_dir, repo, branch, …).
   *
   * Items: A placeholder name, written {{name}} in bodies.
   */
  placeholders: string[];
}
/**
 * One request and the response the upstream gave it.
 */
export interface RecordedExchange {
  /**
   * Marks an exchange line.
   */
  type: 'exchange';
  /**
   * 1-based, in the order the responses completed.
   */
  seq: number;
  /**
   * The worker of the step named in the request's engine headers, or null (CLI housekeeping).
   */
  worker: string | null;
  /**
   * What the request is matched by on replay: `step <id> milestone <m> attempt <a>[ repair-of <phase>]`, or `housekeeping <client> <METHOD> <path>`.
   */
  key: string;
  /**
   * 0-based place among the exchanges with the same key.
   */
  index: number;
  /**
   * The request as compared on replay.
   */
  request: {
    /**
     * HTTP method.
     */
    method: string;
    /**
     * Path and query as sent.
     */
    path: string;
    /**
     * Request headers, credentials as [REDACTED], connection-level headers left out.
     */
    headers: {
      [k: string]: string;
    };
    /**
     * sha256 (hex) of the normalised body's JSON, empty without a body.
     */
    body_sha256: string;
    /**
     * The normalised body: volatile fields dropped, run-specific strings as placeholders, secrets redacted; null without a body.
     */
    body: unknown;
  };
  /**
   * The response as served back on replay.
   */
  response: {
    /**
     * HTTP status.
     */
    status: number;
    /**
     * Response headers, credentials as [REDACTED], connection-level headers left out.
     */
    headers: {
      [k: string]: string;
    };
    /**
     * The body as sent (a stream's event lines whole), run-specific strings as placeholders.
     */
    body: string;
  };
}
