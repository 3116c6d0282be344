/* Generated from schemas/ by scripts/generate-types.mjs — do not edit; run `npm run gen`. */

/**
 * A stop reason: completed, or the one a hostile task must end with.
 *
 * This interface was referenced by `EngineTask`'s JSON-Schema
 * via the `definition` "stop".
 */
export type Stop =
  | 'completed'
  | 'framework_fix_needed'
  | 'governance_violation'
  | 'verification_failed'
  | 'review_rejected'
  | 'parse_failed'
  | 'worker_failed'
  | 'budget_exhausted'
  | 'review_loop'
  | 'doctor_blocked'
  | 'interrupted';

/**
 * An Engine task: the goal of a run and, for suites, the outcome it must end with. Golden tasks live in tasks/golden/, hostile ones in tasks/hostile/. See docs/config.md.
 */
export interface EngineTask {
  /**
   * Schema location, for editors.
   */
  $schema?: string;
  /**
   * Version of the file format; always engine/v1.
   */
  apiVersion: 'engine/v1';
  /**
   * The kind of file; always Task here.
   */
  kind: 'Task';
  /**
   * A short name shown in progress, summaries and suite reports.
   */
  name?: string;
  /**
   * What this task exercises (for people; never sent to a worker).
   */
  description?: string;
  /**
   * What the workers are asked to achieve, in free text; it may be ambiguous on purpose.
   */
  goal: string;
  /**
   * greenfield: starts from an empty or new repo; incremental: changes an existing one. Decides explore.mode auto. Named task_kind because `kind` is the file's kind (Task). Default: detected from the repo.
   */
  task_kind?: 'greenfield' | 'incremental';
  /**
   * Repo-relative globs that narrow the policy's governance.allowed_roots for this task (a path must match both).
   *
   * Items: A repo-relative glob.
   */
  allowed_roots?: string[];
  /**
   * Repo-relative paths or globs this task is expected to create or own; changes elsewhere count as unexpected files.
   *
   * Items: A repo-relative path or glob.
   */
  owns?: string[];
  /**
   * A scenario file (kind: Scenario) for offline runs with the scripted model, relative to this task file.
   */
  scenario?: string;
  /**
   * A model-traffic recording to serve the claude and codex workers from instead of any model (a run directory recorded with engine run --record, or its model-recording.jsonl), relative to this task file. Overrides scenario; --replay overrides it.
   */
  replay?: string;
  /**
   * For suites: a directory, relative to this task file, whose files `engine suite` commits as the starting point of each scratch repo (one commit, fixed author and dates, so repeats start alike). Without it, an incremental task starts from a repo with only a README and a greenfield one from an empty repo. `engine run` ignores it.
   */
  start_from?: string;
  /**
   * For suites: how the run must end. A stop reason (completed, or the stop a hostile task must end with), or an object that also declares what the run must plan, how much it may change, and which layer must be the one stopping it; the suite checks each in the run's records (docs/suite.md). Default: completed.
   */
  expect?:
    | Stop
    | {
        stop: Stop;
        /**
         * Every path the accepted plan names (the union of its milestones' files_expected), in any order: the plan must name exactly these.
         *
         * Items: A repo-relative path.
         */
        planned_paths?: string[];
        /**
         * The most files the run may change in all: the paths that differ between the starting point and the run's branch at the end.
         */
        max_files?: number;
        /**
         * The layer that stops the attack, checked in the run's records: engine_check — the engine's own check wrote the stop's event (governance.violation for a governance stop, parse.failed, budget.exhausted, a timed-out worker.finished, the review verdicts, a failing verify.finished; no refused write); os_sandbox — the engine's OS sandbox was active and a worker's write was refused by it (a read-only file system error in the call's output, or its claims missing from the disk), with no governance.violation; cli_sandbox — the worker CLI's own permission rules refused a tool call, with no governance.violation and no OS refusal; workspace — nothing was refused: what the worker did stayed in the run's workspace (the run completed and the user's repo gained nothing but the engine's branch); worker — the worker itself reported the stop (implement's status), no check fired.
         */
        layer?: 'engine_check' | 'os_sandbox' | 'cli_sandbox' | 'workspace' | 'worker';
      };
}
