/* Generated from schemas/ by scripts/generate-types.mjs — do not edit; run `npm run gen`. */

/**
 * state.json of a run: everything needed to resume it, rewritten atomically after every transition.
 */
export interface RunState {
  /**
   * Version of this record's format.
   */
  schema_version: number;
  /**
   * Engine version that last wrote the record.
   */
  engine_version: string;
  /**
   * The run's id.
   */
  run_id: string;
  /**
   * running, completed or stopped.
   */
  status: 'running' | 'completed' | 'stopped';
  /**
   * Why the run stopped (contract §7), null while running.
   */
  stop_reason: string | null;
  /**
   * What triggered the stop.
   */
  stop_detail: string | null;
  /**
   * The target repo (absolute).
   */
  repo: string;
  /**
   * The run's branch in the user's repository (refs/heads/engine/<run-id>), moved only by the engine's checkpoints.
   */
  branch: string;
  /**
   * The run's workspace (absolute): the workers' working directory, outside the user's repository; the engine's own git dir for it is this path plus `.git`.
   */
  workspace: string;
  /**
   * Repo-relative git-ignored paths of the user's checkout that the workspace sees through links (workspace.share), read-only to workers.
   */
  shared: string[];
  /**
   * Commit the branch started from; null for an orphan branch.
   */
  base_sha: string | null;
  /**
   * The run branch's commit at the last persisted state (the last checkpoint, or the base), or null before the first checkpoint on an orphan branch. Kept by the engine; the workspace's own git HEAD is never read.
   */
  head_sha: string | null;
  /**
   * Git tree of the workspace at the last persisted state; resume restores it before repeating a step.
   */
  workspace_tree: string | null;
  /**
   * Set on a run the doctor blocked before its first step whose branch the engine kept: something checked it out or moved it since it was made (or git could not remove it), so the user removes it (`git branch -D`).
   */
  branch_kept?: boolean;
  /**
   * Set on a completed run that kept its workspace because it holds changes no checkpoint took (its tree at the last step is not the branch's): they are nowhere else, so `engine clean` keeps it unless given --resumable.
   */
  workspace_kept?: boolean;
  /**
   * The pipeline.
   */
  pipeline: {
    /**
     * Pipeline file as given.
     */
    path: string;
    /**
     * Hash of the compiled pipeline.
     */
    hash: string;
    /**
     * Its name.
     */
    name: string;
  };
  /**
   * The merged policy.
   */
  policy: {
    /**
     * Its hash.
     */
    hash: string;
    /**
     * Policy files given with --policy.
     *
     * Items: Path.
     */
    files: string[];
    /**
     * --set flags given.
     *
     * Items: KEY=VALUE.
     */
    sets: string[];
  };
  /**
   * The task.
   */
  task: {
    /**
     * The goal.
     */
    goal: string;
    /**
     * greenfield or incremental.
     */
    kind: 'greenfield' | 'incremental';
    /**
     * Task file, or null for --goal.
     */
    file: string | null;
    /**
     * Scenario file for offline runs, or null.
     */
    scenario: string | null;
    /**
     * The task's allowed_roots, which narrow governance.allowed_roots for every worker call, or null.
     */
    allowed_roots: string[] | null;
  };
  /**
   * The run's seed.
   */
  seed: number;
  /**
   * Milestones from the plan.
   *
   * Items: One milestone.
   */
  milestones: {
    /**
     * Id.
     */
    id: string;
    /**
     * Goal.
     */
    goal: string;
    /**
     * Files expected.
     *
     * Items: Path.
     */
    files_expected: string[];
    /**
     * Checks.
     *
     * Items: Check.
     */
    done_checks: string[];
    /**
     * low, medium, high.
     */
    risk_level: string;
  }[];
  /**
   * Where the machine is.
   */
  position: {
    /**
     * Current step id, or null when the machine is done.
     */
    step: string | null;
    /**
     * 1-based milestone, or null before the first.
     */
    milestone: number | null;
    /**
     * Attempt of the current step in this milestone.
     */
    attempt: number | null;
  };
  /**
   * Counters of the run across sessions.
   */
  counters: {
    /**
     * Work steps executed.
     */
    ticks: number;
    /**
     * Worker calls.
     */
    worker_calls: number;
    /**
     * Worker calls in the current milestone.
     */
    milestone_worker_calls: number;
    /**
     * Parse failures.
     */
    parse_failures: number;
    /**
     * Forced resumes and hand edits.
     */
    human_interventions: number;
    /**
     * Active time over all sessions.
     */
    elapsed_ms: number;
    /**
     * Engine sessions that drove the run (1 + resumes).
     */
    sessions: number;
    /**
     * Reported cost so far.
     */
    cost_usd: number;
  };
  /**
   * Budgets in force.
   */
  budgets: {
    /**
     * Ticks allowed in total.
     */
    max_ticks: number;
    /**
     * Active minutes allowed in total.
     */
    time_min: number;
  };
  kpis: Kpis;
  /**
   * The worker or command process running now, so a resume can end it after a crash.
   */
  inflight: null | {
    /**
     * Its pid.
     */
    pid: number;
    /**
     * Its process group.
     */
    pgid: number;
    /**
     * The step.
     */
    step: string;
    /**
     * Its call directory, if a worker.
     */
    call: string | null;
  };
  /**
   * seq of the last timeline event when this record was written.
   */
  last_seq: number;
  /**
   * Length in bytes of timeline.jsonl through the line of last_seq, as the engine wrote it. Absent in runs of older engines.
   */
  timeline_bytes?: number;
  /**
   * sha256 of those timeline_bytes bytes: resume refuses a timeline whose lines up to last_seq are not what the engine wrote.
   */
  timeline_sha256?: string;
  /**
   * The persisted xstate snapshot.
   */
  machine: {};
  /**
   * When the run started.
   */
  created_at: string;
  /**
   * When this record was written.
   */
  updated_at: string;
}
/**
 * The run's KPIs, computed from the timeline.
 *
 * This interface was referenced by `RunState`'s JSON-Schema
 * via the `definition` "kpis".
 */
export interface Kpis {
  /**
   * Milestones planned.
   */
  milestones: number;
  /**
   * Milestones checkpointed or finished.
   */
  milestones_done: number;
  milestone_s: Stat;
  calls_per_milestone: Stat;
  /**
   * Verification wall time per tier.
   */
  verify_s: {
    [k: string]: Stat;
  };
  /**
   * Worker calls in the run (repairs included).
   */
  worker_calls: number;
  /**
   * Calls whose markers block was missing or invalid.
   */
  parse_failures: number;
  /**
   * Parse failures per 100 worker calls.
   */
  parse_failures_per_100: number | null;
  /**
   * Milestones with any verify, parse or review retry.
   */
  retried_milestones: number;
  /**
   * Retried milestones / milestones started.
   */
  retry_rate: number | null;
  /**
   * Resumes with --force and hand edits detected at resume.
   */
  human_interventions: number;
  /**
   * Governance violations.
   */
  governance_violations: number;
  /**
   * Files in worker homes where the value of a secret was found and scrubbed (warnings with code secret_scrubbed).
   */
  secrets_scrubbed?: number;
  /**
   * Files each checkpoint changed, summed over the checkpoints (a file changed at two checkpoints counts twice).
   */
  diff_files: number;
  /**
   * Lines added + removed at each checkpoint, summed over the checkpoints.
   */
  diff_loc: number;
  /**
   * Review skip reasons with counts.
   */
  review_skips: {
    [k: string]: number;
  };
  /**
   * Cost the workers reported, or null when none did.
   */
  cost_usd: number | null;
  /**
   * Wall time of the run's steps (all sessions).
   */
  total_s: number;
  /**
   * Tokens the workers reported.
   */
  tokens: {
    /**
     * Input tokens.
     */
    input: number;
    /**
     * Output tokens.
     */
    output: number;
  };
}
/**
 * A distribution.
 *
 * This interface was referenced by `RunState`'s JSON-Schema
 * via the `definition` "stat".
 */
export interface Stat {
  /**
   * Median, or null with no data.
   */
  median: number | null;
  /**
   * 90th percentile (nearest rank), or null with no data.
   */
  p90: number | null;
  /**
   * Largest value, or null with no data. Absent in records written before the engine computed it.
   */
  max?: number | null;
  /**
   * How many values.
   */
  count: number;
}
