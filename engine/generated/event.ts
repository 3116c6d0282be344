/* Generated from schemas/ by scripts/generate-types.mjs — do not edit; run `npm run gen`. */

/**
 * One line of timeline.jsonl. The runtime writes these and the KPI code reads them through the same types.
 */
export type TimelineEvent =
  | EventRunStarted
  | EventRunResumed
  | EventDoctorBlocked
  | EventRunFinished
  | EventStepStarted
  | EventStepSkipped
  | EventStepFinished
  | EventStepStopped
  | EventWorkerStarted
  | EventWorkerFinished
  | EventParseFailed
  | EventPlanAccepted
  | EventMilestoneStarted
  | EventMilestoneFinished
  | EventVerifySelected
  | EventVerifyFinished
  | EventWorkspaceSetup
  | EventCommandFinished
  | EventDecisionMade
  | EventReviewSkipped
  | EventCheckpointCreated
  | EventCheckpointSkipped
  | EventBudgetExhausted
  | EventLoopDetected
  | EventKpiDecision
  | EventGovernanceViolation
  | EventWarning;

export interface EventRunStarted {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'run.started';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * Version of the event schema.
   */
  schema_version: number;
  /**
   * The run's id.
   */
  run_id: string;
  /**
   * Version of the engine that wrote the run.
   */
  engine_version: string;
  /**
   * The compiled pipeline.
   */
  pipeline: {
    /**
     * Pipeline file, as given.
     */
    path: string;
    /**
     * Hash of the compiled pipeline.
     */
    hash: string;
    /**
     * Pipeline name.
     */
    name: string;
  };
  /**
   * Hash of the merged policy.
   */
  policy_hash: string;
  /**
   * The task's goal.
   */
  goal: string;
  /**
   * greenfield or incremental.
   */
  task_kind: 'greenfield' | 'incremental';
  /**
   * The run's branch.
   */
  branch: string;
  /**
   * The run's workspace (absolute), outside the user's repository.
   */
  workspace: string;
  /**
   * Git-ignored paths of the user's checkout the workspace sees through links (read-only to workers).
   */
  shared?: string[];
  /**
   * The policy's workspace.share globs that matched no git-ignored path of the checkout (a misspelt name, a tracked path, dependencies not installed yet): the workspace sees nothing through them. Absent when every glob matched, or when the policy names none.
   */
  share_unmatched?: string[];
  /**
   * Commit the branch starts from; null for an orphan branch.
   */
  base_sha: string | null;
  /**
   * The run's seed.
   */
  seed: number;
  /**
   * The user's tree had uncommitted changes, which are not part of the run.
   */
  dirty_user_tree?: boolean;
  /**
   * Present when the claude and codex workers' model traffic was recorded (engine run --record) or served from a recording (--replay, task replay).
   */
  model_traffic?: {
    /**
     * record: through a loopback proxy to the upstream, every exchange saved; replay: answered from the recording with no network.
     */
    mode: 'record' | 'replay';
    /**
     * The recording: written (record) or read (replay).
     */
    file: string;
    /**
     * Origin the recording proxy forwarded to (the scripted model or the workers' model_endpoint); null on replay.
     */
    upstream: string | null;
  };
  /**
   * The OS sandbox the run's workers and commands run in (policy sandbox.mode and the probe's result).
   */
  sandbox?: {
    /**
     * The policy's sandbox.mode.
     */
    mode: 'auto' | 'bwrap' | 'off';
    /**
     * Workers and commands run inside bubblewrap.
     */
    active: boolean;
    /**
     * The bubblewrap binary used, or null when the sandbox is not active.
     */
    tool: string | null;
    /**
     * The policy's sandbox.writable paths.
     *
     * Items: An absolute path.
     */
    writable: string[];
    /**
     * The policy's sandbox.allow_unix_sockets: whether sandboxed processes may make Unix domain sockets (absent in runs started before it existed: not restricted then).
     */
    unix_sockets?: boolean;
    /**
     * Why the sandbox is not active although the mode asked for it (auto's fallback, bwrap's failure), else null.
     */
    warning: string | null;
  };
}
export interface EventRunResumed {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'run.resumed';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * The timeline's schema version, as run.started gives it: the first line a `resume --json` prints identifies the run. Absent in events written before it existed.
   */
  schema_version?: number;
  /**
   * The run's id, as run.started gives it. Absent in events written before it existed.
   */
  run_id?: string;
  /**
   * The version of the engine that resumed the run (it may differ from run.started's). Absent in events written before it existed.
   */
  engine_version?: string;
  /**
   * Last event seq before this resume.
   */
  from_seq: number;
  /**
   * The last checkpoint commit on the run's branch (or null).
   */
  checkpoint: string | null;
  /**
   * Tree the workspace was restored to before repeating the step, or null when nothing was restored.
   */
  restored_tree: string | null;
  /**
   * The step repeated because it was interrupted, or null.
   */
  repeated_step: string | null;
  /**
   * How many milestones the accepted plan has (0 before a plan), so a reader of the events from here on (progress) knows it. Absent in events written before it existed.
   */
  milestones_planned?: number;
  /**
   * --force was given (counted as a human intervention).
   */
  forced: boolean;
  /**
   * Files changed by hand since the last persisted state (with --force).
   *
   * Items: Repo-relative path.
   */
  hand_edits: string[];
  /**
   * Hash of the merged policy now.
   */
  policy_hash: string;
  /**
   * The policy differs from the run's last one.
   */
  policy_changed: boolean;
  /**
   * Tick budget from now on.
   */
  max_ticks: number;
  /**
   * Time budget from now on (minutes).
   */
  time_min: number;
  /**
   * Process group of a worker left by the previous engine, ended before resuming.
   */
  killed_pgid: number | null;
  /**
   * Resumed with --reload-config: the run took the repo's current pipeline, policy and templates instead of its config snapshot (a human intervention).
   */
  config_reloaded?: boolean;
  /**
   * Config files that differ from the run's snapshot (config/): taken with --reload-config, otherwise shown and ignored.
   */
  config_changes?: {
    /**
     * Path in the snapshot (under config/).
     */
    file: string;
    /**
     * The file it comes from.
     */
    origin: string;
    change: 'changed' | 'added' | 'removed';
    /**
     * Unified diff from the snapshot to the current file.
     */
    diff: string;
  }[];
}
export interface EventDoctorBlocked {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'doctor.blocked';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * The blocking findings of the run preflight (the checks of `engine doctor`), in order.
   */
  findings: {
    /**
     * The check id (docs/doctor.md), e.g. worker.planner or git.
     */
    id: string;
    /**
     * Always block: only blocking findings stop a run.
     */
    status: 'block';
    /**
     * What the check found.
     */
    message: string;
    /**
     * What to do about it, or null.
     */
    hint: string | null;
  }[];
  /**
   * The `engine doctor` command that checks again what blocked the run: its pipeline, repo, policy files and --set values (absent from the runs of earlier engines).
   */
  doctor?: string;
}
export interface EventRunFinished {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'run.finished';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * completed or stopped.
   */
  status: 'completed' | 'stopped';
  /**
   * Why the run ended.
   */
  stop_reason: string;
  /**
   * The engine's exit code.
   */
  exit_code: number;
  /**
   * What triggered the stop.
   */
  detail: string;
  kpis: Kpis;
}
/**
 * The run's KPIs, computed from the timeline.
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
export interface EventStepStarted {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'step.started';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * The step's type.
   */
  kind: string;
}
export interface EventStepSkipped {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'step.skipped';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * The `when` guard that was false.
   */
  guard: string;
  /**
   * Why the guard was false.
   */
  reason: string;
}
export interface EventStepFinished {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'step.finished';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * The step's type.
   */
  kind: string;
  /**
   * The step's outcome.
   */
  outcome: string;
  /**
   * Where the machine goes next (a step id or stop.<reason>).
   */
  next: string;
  /**
   * How long the step took.
   */
  duration_ms: number;
  /**
   * What the step adds to the run's context (replayed on resume).
   */
  patch: {};
  /**
   * Git tree of the workspace after the step.
   */
  tree: string | null;
}
export interface EventStepStopped {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'step.stopped';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * The step's type.
   */
  kind: string;
  /**
   * Why the run stops at this step.
   */
  stop_reason: string;
  /**
   * What happened.
   */
  detail: string;
  /**
   * How long the step took.
   */
  duration_ms: number;
}
export interface EventWorkerStarted {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'worker.started';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * Worker name in the pipeline.
   */
  worker: string;
  /**
   * Plugin (codex, claude, command, replay, module path).
   */
  plugin: string;
  /**
   * Prompt phase (explore, plan, implement, review, repair).
   */
  phase: string;
  /**
   * Call directory, relative to the run directory.
   */
  call: string;
}
export interface EventWorkerFinished {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'worker.finished';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * Worker name.
   */
  worker: string;
  /**
   * Call directory.
   */
  call: string;
  /**
   * ok, failed, timed_out or incomplete.
   */
  outcome: 'ok' | 'failed' | 'timed_out' | 'incomplete';
  /**
   * The CLI's exit code.
   */
  exit_code: number | null;
  /**
   * The call hit its wall or idle limit.
   */
  timed_out: boolean;
  /**
   * Wall time of the call.
   */
  duration_ms: number;
  /**
   * Tokens the worker reported for the call.
   */
  usage: {
    /**
     * Input tokens.
     */
    input_tokens?: number;
    /**
     * Output tokens.
     */
    output_tokens?: number;
    /**
     * Cached input tokens.
     */
    cached_input_tokens?: number;
  } | null;
  /**
   * Cost the worker reported.
   */
  cost_usd: number | null;
  /**
   * A valid markers block was found.
   */
  markers_ok: boolean;
  /**
   * Why the call failed.
   */
  error: string | null;
}
export interface EventParseFailed {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'parse.failed';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * Call directory.
   */
  call: string;
  /**
   * What was wrong with the markers block.
   */
  error: string;
  /**
   * Repair prompts that follow this failure: 0 when the step stops here (the budget is spent, or a KPI decision stops it).
   */
  retries_left: number;
}
export interface EventPlanAccepted {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'plan.accepted';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * The planned milestones.
   *
   * Items: One milestone.
   */
  milestones: {
    /**
     * Milestone id.
     */
    id: string;
    /**
     * Milestone goal.
     */
    goal: string;
    /**
     * Files it is expected to touch.
     *
     * Items: Repo-relative path.
     */
    files_expected: string[];
  }[];
}
export interface EventMilestoneStarted {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'milestone.started';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * Milestone id from the plan.
   */
  id: string;
  /**
   * Milestone goal.
   */
  goal: string;
}
export interface EventMilestoneFinished {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'milestone.finished';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * Milestone id.
   */
  id: string;
  /**
   * Wall time from milestone.started, less the time no engine ran the run (for each resume during the milestone, from the last event of the session before to run.resumed).
   */
  duration_ms: number;
  /**
   * Worker calls in the milestone.
   */
  worker_calls: number;
}
export interface EventVerifySelected {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'verify.selected';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * The tier that will run.
   */
  tier: string;
  /**
   * Why this tier.
   */
  reason: string;
}
export interface EventVerifyFinished {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'verify.finished';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * The tier that ran.
   */
  tier: string;
  /**
   * Every command exited 0.
   */
  pass: boolean;
  /**
   * The tier was skipped (tier1 past its limit).
   */
  skipped: boolean;
  /**
   * Wall time of the tier.
   */
  duration_ms: number;
  /**
   * Log file, relative to the run directory.
   */
  log: string;
  /**
   * Each command's result.
   *
   * Items: One command.
   */
  commands: {
    /**
     * The command.
     */
    command: string;
    /**
     * Its exit code.
     */
    exit_code: number | null;
    /**
     * It hit the tier's limit.
     */
    timed_out: boolean;
    /**
     * Its wall time.
     */
    duration_ms: number;
  }[];
  /**
   * Git-ignored paths of the workspace removed before the commands ran, because the workspace's set-up did not leave them (a worker's build output, caches, or a file planted to change what the commands do; docs/governance.md). Absent when none was removed.
   */
  ignored_removed?: {
    /**
     * How many were removed (an ignored folder counts once).
     */
    count: number;
    /**
     * The first 50 of them, as git lists them (a folder with a trailing slash).
     *
     * @maxItems 50
     */
    paths: string[];
  };
}
export interface EventWorkspaceSetup {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type: the policy's workspace.setup commands ran once in a new workspace, before the first step.
   */
  type: 'workspace.setup';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * Every command exited 0 and no tracked file changed.
   */
  pass: boolean;
  /**
   * Wall time of the set-up (a KPI: verify_s.setup).
   */
  duration_ms: number;
  /**
   * Log file, relative to the run directory.
   */
  log: string;
  /**
   * Each command's result.
   *
   * Items: One command.
   */
  commands: {
    /**
     * The command.
     */
    command: string;
    /**
     * Its exit code.
     */
    exit_code: number | null;
    /**
     * It hit the limit (verification.tiers.tier2.timeout_s).
     */
    timed_out: boolean;
    /**
     * Its wall time.
     */
    duration_ms: number;
  }[];
  /**
   * Tracked or unignored paths the set-up changed; any makes it fail (a set-up may only add ignored files such as dependencies or build output).
   */
  changed: string[];
  /**
   * The workspace's git-ignored paths after the set-up, as git lists them (an ignored folder whole, with a trailing slash): what each verification and command step keeps; any other ignored path is removed before they run. Absent in runs begun by an engine that did not record it (nothing is removed then).
   */
  ignored?: string[];
}
export interface EventCommandFinished {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'command.finished';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * The command step's command.
   */
  command: string;
  /**
   * Its exit code.
   */
  exit_code: number | null;
  /**
   * It hit its limit.
   */
  timed_out: boolean;
  /**
   * Its wall time.
   */
  duration_ms: number;
  /**
   * Log file, relative to the run directory.
   */
  log: string;
  /**
   * Git-ignored paths of the workspace removed before the commands ran, because the workspace's set-up did not leave them (a worker's build output, caches, or a file planted to change what the commands do; docs/governance.md). Absent when none was removed.
   */
  ignored_removed?: {
    /**
     * How many were removed (an ignored folder counts once).
     */
    count: number;
    /**
     * The first 50 of them, as git lists them (a folder with a trailing slash).
     *
     * @maxItems 50
     */
    paths: string[];
  };
}
export interface EventDecisionMade {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'decision.made';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * The guard of the branch taken, or null for else.
   */
  guard: string | null;
  /**
   * Where the run goes.
   */
  target: string;
  /**
   * Why.
   */
  reason: string;
}
export interface EventReviewSkipped {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'review.skipped';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * Why the reviewer was not called (every auto-approve guardrail held).
   */
  review_skipped_reason: string;
}
export interface EventCheckpointCreated {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'checkpoint.created';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * The checkpoint commit.
   */
  sha: string;
  /**
   * Its tree.
   */
  tree: string;
  /**
   * Files changed in the milestone.
   */
  files: number;
  /**
   * Lines added.
   */
  added: number;
  /**
   * Lines removed.
   */
  removed: number;
}
export interface EventCheckpointSkipped {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'checkpoint.skipped';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * Why no commit was made (nothing changed).
   */
  reason: string;
}
export interface EventBudgetExhausted {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'budget.exhausted';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * Which budget: max_ticks, time_min, worker_calls_per_milestone, cost_usd.
   */
  budget: string;
  /**
   * How much was used.
   */
  used: number;
  /**
   * The limit.
   */
  limit: number;
}
export interface EventLoopDetected {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'loop.detected';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * same_request: a reviewer asked for the same changes again (text normalised: case, whitespace, punctuation, order); same_tree: an implementing step left the workspace tree it left before.
   */
  kind: 'same_request' | 'same_tree';
  /**
   * The earlier attempt of the same step in this milestone that gave the same request or tree.
   */
  first_attempt: number;
  /**
   * The repeated change request as the reviewer wrote it last (same_request), or the review request the implementer was answering (same_tree; empty when there was none).
   */
  request: string[];
  /**
   * The repeated workspace tree (same_tree), else null.
   */
  tree: string | null;
}
export interface EventKpiDecision {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'kpi.decision';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * The KPI that drove the decision (a kpi_targets key).
   */
  kpi: string;
  /**
   * Its value when the decision was taken.
   */
  value: number;
  /**
   * Its target (kpi_targets).
   */
  target: number;
  /**
   * What the engine does about it (see docs/kpis.md): require_review, structured_output, suspend_tier0_fast, smaller_milestones, …
   */
  decision: string;
  /**
   * The decision in words.
   */
  detail: string;
  /**
   * The worker the decision is about (structured_output, doctor_live), else absent or null.
   */
  worker?: string | null;
}
export interface EventGovernanceViolation {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'governance.violation';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * The worker call whose change broke the rules (calls/NNNN-<step>-<worker>).
   */
  call: string;
  /**
   * One entry per offending path: the workspace's paths sorted, then the link, gitlink and path-name findings, then changes outside the workspace (the user's repo, shared paths, the engine's install and git dir), then the run store's records.
   *
   * @minItems 1
   */
  violations: [
    {
      /**
       * Repo-relative path; for run_store, the record's path in the run directory; for user_repo, engine_git and engine_install, the path inside that directory; for shared_path, the repo-relative path in the user's checkout.
       */
      path: string;
      /**
       * The rule the change broke: planned_outside_roots (a plan's files_expected names a path no worker may change: absolute, leaving the repo, protected or outside the allowed roots; the plan is refused at acceptance), symlink_escape (an absolute link or one that leaves the workspace), gitlink (a nested repository), special_file (a FIFO, socket or device at a .gitignore, .gitattributes or .gitmodules name, a .git or in a nested .git, which git would block on, or at a path the engine's index tracks, which git add refuses: removed before git looks; one at a new or ignored path git skips is left), large_file (a file git would stage that is larger than governance.max_file_mb: left out of the snapshot, found by its size before git reads it), sparse_file (a sparse file git would stage, removed before git reads it when the holes of all such files, bytes not on disk that git would read, pass 256 MiB in one snapshot: the largest first), git_refused (a path or file git refuses to stage: a path it calls invalid, with a component that is .git where case or Windows names are folded such as .GIT, GIT~1 or '.git ', or a file its working-tree-encoding attribute cannot convert: removed from the workspace), deep_path (a directory whose path is too long for a name inside it to make a path the system takes whole, 4,096 bytes on Linux: git skips what it cannot open without a word, and neither it nor the engine's checks could see inside; removed whole), non_utf8_path (a file or folder whose name is not UTF-8, its bytes shown as %XX: the engine's walk could not enter or name it, so nothing below it was checked; removed whole before git looks), control_characters (in a path or link target), user_repo (the user's HEAD, refs, config, hooks, info or index changed, or the engine's config in their checkout's .engine/), engine_install (the engine's own installed files changed), engine_git (the engine's git dir of the workspace changed), shared_path (a shared ignored path of the user's checkout, such as node_modules, changed), cli_config (a file of the user's own CLI config that the next session of that CLI runs or reads as instructions changed: claude's settings, CLAUDE.md, commands, agents, hooks, skills or MCP servers, codex's config.toml, AGENTS.md or prompts; or the engine's own user policy, ~/.config/engine/policy.yaml), workspace_removed (the run's workspace is gone or no longer a directory: removed during the step).
       */
      rule:
        | 'read_only'
        | 'protected'
        | 'framework_path'
        | 'dependency_file'
        | 'outside_allowed_roots'
        | 'run_store'
        | 'symlink_escape'
        | 'gitlink'
        | 'special_file'
        | 'large_file'
        | 'sparse_file'
        | 'git_refused'
        | 'deep_path'
        | 'non_utf8_path'
        | 'control_characters'
        | 'user_repo'
        | 'engine_install'
        | 'engine_git'
        | 'shared_path'
        | 'cli_config'
        | 'workspace_removed'
        | 'planned_outside_roots';
      /**
       * The glob that matched (protected, framework path, dependency file), why a planned path was refused (planned_outside_roots), or null.
       */
      pattern: string | null;
    },
    ...{
      /**
       * Repo-relative path; for run_store, the record's path in the run directory; for user_repo, engine_git and engine_install, the path inside that directory; for shared_path, the repo-relative path in the user's checkout.
       */
      path: string;
      /**
       * The rule the change broke: planned_outside_roots (a plan's files_expected names a path no worker may change: absolute, leaving the repo, protected or outside the allowed roots; the plan is refused at acceptance), symlink_escape (an absolute link or one that leaves the workspace), gitlink (a nested repository), special_file (a FIFO, socket or device at a .gitignore, .gitattributes or .gitmodules name, a .git or in a nested .git, which git would block on, or at a path the engine's index tracks, which git add refuses: removed before git looks; one at a new or ignored path git skips is left), large_file (a file git would stage that is larger than governance.max_file_mb: left out of the snapshot, found by its size before git reads it), sparse_file (a sparse file git would stage, removed before git reads it when the holes of all such files, bytes not on disk that git would read, pass 256 MiB in one snapshot: the largest first), git_refused (a path or file git refuses to stage: a path it calls invalid, with a component that is .git where case or Windows names are folded such as .GIT, GIT~1 or '.git ', or a file its working-tree-encoding attribute cannot convert: removed from the workspace), deep_path (a directory whose path is too long for a name inside it to make a path the system takes whole, 4,096 bytes on Linux: git skips what it cannot open without a word, and neither it nor the engine's checks could see inside; removed whole), non_utf8_path (a file or folder whose name is not UTF-8, its bytes shown as %XX: the engine's walk could not enter or name it, so nothing below it was checked; removed whole before git looks), control_characters (in a path or link target), user_repo (the user's HEAD, refs, config, hooks, info or index changed, or the engine's config in their checkout's .engine/), engine_install (the engine's own installed files changed), engine_git (the engine's git dir of the workspace changed), shared_path (a shared ignored path of the user's checkout, such as node_modules, changed), cli_config (a file of the user's own CLI config that the next session of that CLI runs or reads as instructions changed: claude's settings, CLAUDE.md, commands, agents, hooks, skills or MCP servers, codex's config.toml, AGENTS.md or prompts; or the engine's own user policy, ~/.config/engine/policy.yaml), workspace_removed (the run's workspace is gone or no longer a directory: removed during the step).
       */
      rule:
        | 'read_only'
        | 'protected'
        | 'framework_path'
        | 'dependency_file'
        | 'outside_allowed_roots'
        | 'run_store'
        | 'symlink_escape'
        | 'gitlink'
        | 'special_file'
        | 'large_file'
        | 'sparse_file'
        | 'git_refused'
        | 'deep_path'
        | 'non_utf8_path'
        | 'control_characters'
        | 'user_repo'
        | 'engine_install'
        | 'engine_git'
        | 'shared_path'
        | 'cli_config'
        | 'workspace_removed'
        | 'planned_outside_roots';
      /**
       * The glob that matched (protected, framework path, dependency file), why a planned path was refused (planned_outside_roots), or null.
       */
      pattern: string | null;
    }[]
  ];
  /**
   * The rolled-back change of the workspace as a binary git patch in the run directory (attempted.patch), or null when the worktree was not changed.
   */
  patch: string | null;
  /**
   * How the run stops: framework_fix_needed when only framework paths were touched.
   */
  stop_reason: 'governance_violation' | 'framework_fix_needed';
}
export interface EventWarning {
  /**
   * Position in the timeline: 1, 2, … without gaps, continued across resumes.
   */
  seq: number;
  /**
   * When the event was written (ISO 8601, from the run's clock).
   */
  ts: string;
  /**
   * The event type.
   */
  type: 'warning';
  /**
   * Id of the step the event belongs to, or null outside steps.
   */
  step: string | null;
  /**
   * 1-based milestone index, or null outside milestones.
   */
  milestone: number | null;
  /**
   * 1-based attempt of the step in this milestone, or null outside steps.
   */
  attempt: number | null;
  /**
   * What the engine noticed.
   */
  message: string;
  /**
   * A stable code for warnings that are counted: secret_scrubbed (a secret's value was found in a worker's home and scrubbed there), home_file_removed (what a worker's home held that could not be searched for secrets was removed unsearched: a file past 64 MiB or past the 512 MiB one search reads in all, or a folder deeper than a path can name), sandbox_grant_withheld (a write grant, a sandbox.writable entry or a CLI's state dir, that is, holds or lies in a place the sandbox keeps read-only as a process of the step starts, e.g. an entry a worker turned into a link into the checkout, or a relative path: the step ran without it; told once in a run).
   */
  code?: string;
  /**
   * The file the warning is about, relative to the run directory; in a worker's home, homes/<worker>/<file> (the homes are beside the run's workspace, <run-id>.homes/).
   */
  file?: string;
}
