import type { StopReason } from './stop-reasons.js';

/** A milestone as the plan gave it. */
export interface PlannedMilestone {
  id: string;
  goal: string;
  files_expected: string[];
  done_checks: string[];
  risk_level: string;
}

export interface VerifyFacts {
  tier: string;
  /** The step's pass: a tier1 that ran out of time is skipped and counts as one. */
  pass: boolean;
  log: string;
  output_tail: string;
  /** A tier1 that ran out of time: the step passes, but nothing was shown green (absent in older runs). */
  skipped?: boolean;
  /** Files the verification's own commands changed in the workspace (absent: none, or an older run). */
  changed?: string[];
}

/**
 * The machine's context: what steps learn and later steps and guards read. It lives in the
 * xstate snapshot persisted in state.json. Steps never mutate it: they return a patch that a
 * `step.done` event carries and the machine assigns (and a resume can replay).
 */
export interface RunContext {
  milestones: PlannedMilestone[];
  /** 1-based index of the current milestone; 0 before the first. */
  milestone: number;
  /** Runs of each step in the current milestone (reset when the milestone advances). */
  attempts: Record<string, number>;
  explore: { info_needs: string[]; assumptions: string[]; files_expected: string[] } | null;
  implement: { status: string; summary: string; files_changed: string[]; needs: string | null } | null;
  verify: VerifyFacts | null;
  review: { verdict: string; changes: string[] } | null;
  /** Change of the current milestone so far against the last checkpoint. */
  /**
   * The milestone's change so far. `paths`: every path it touches, both sides of a rename.
   * `fewer_tests`: test files it left with fewer tests or more
   * skips than the last checkpoint had (absent in runs recorded before it was measured).
   * `binary_paths`: files git counted no lines of (absent: none, or an older run).
   * `executable_paths`: files that became executable, new or by a mode flip; `link_paths`: links
   * made or changed (absent: none, or an older run).
   * `long_line_paths`: files written that hold a line over 1,000 bytes, which git counts as one
   * line; `unread_paths`: files written when all of them together were too large to read for it
   * (absent: none, or an older run).
   */
  changes: { files: number; loc: number; paths: string[]; new_paths: string[]; deleted_paths: string[]; fewer_tests?: { path: string; change: string }[]; binary_paths?: string[]; executable_paths?: string[]; link_paths?: string[]; long_line_paths?: string[]; unread_paths?: string[] } | null;
  stop: { reason: StopReason; step: string; outcome: string } | null;
  /** What a KPI over its target asks of the current milestone (docs/kpis.md); absent in older runs. */
  kpi?: { require_review: string; carry: string } | null;
}

export type ContextPatch = Partial<Omit<RunContext, 'stop'>>;

export function initialContext(): RunContext {
  return { milestones: [], milestone: 0, attempts: {}, explore: null, implement: null, verify: null, review: null, changes: null, stop: null };
}

/** The event every step ends with. */
export interface StepDoneEvent {
  type: 'step.done';
  outcome: string;
  patch: ContextPatch;
}
