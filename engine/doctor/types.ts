/**
 * The doctor's vocabulary: every check returns findings, and only the CLI edge prints them.
 * Types only; no I/O.
 */
import type { Diagnostic } from '../vocabulary/diagnostics.js';

export type CheckStatus = 'ok' | 'warn' | 'block';

/** The result of one check. `id` is stable (docs/doctor.md); the message is for people. */
export interface Finding {
  id: string;
  status: CheckStatus;
  message: string;
  /** What to do about it; null when there is nothing to do. */
  hint: string | null;
  /** Extra lines (a file's diagnostics, an answer's excerpt), in order. */
  details?: string[];
  /**
   * What the block does to `engine run`, when the check's id does not say it (verdict.ts,
   * runEffect); on a warning, what it would still do to a run (a login the doctor only warns
   * of, offline, stops a run before its first call).
   */
  effect?: string;
}

/** What `engine doctor` looked at and what it found. */
export interface DoctorReport {
  repo: string;
  pipeline: string | null;
  live: boolean;
  checks: Finding[];
  /** Each worker's CLI version, as recorded in a run's env.json (null: not told). */
  workers: Record<string, { plugin: string; bin: string | null; version: string | null; dialect: string | null }>;
  /** The pipeline's and the policy's diagnostics, as data. */
  diagnostics: Diagnostic[];
  /** Where `--live` left the probe transcripts (kept when a probe failed), else null. */
  probe_dir: string | null;
}

/** A finding. Pure. */
export function finding(id: string, status: CheckStatus, message: string, hint: string | null = null, details?: string[]): Finding {
  return details && details.length ? { id, status, message, hint, details } : { id, status, message, hint };
}
