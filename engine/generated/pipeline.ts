/* Generated from schemas/ by scripts/generate-types.mjs — do not edit; run `npm run gen`. */

/**
 * One step of the pipeline.
 */
export type Step = Step1 & Step1;
/**
 * Where to go for every outcome not named in `on`.
 */
export type Target =
  | string
  | {
      /**
       * Id of the next step.
       */
      goto?: string;
      /**
       * End the run with this stop reason.
       */
      stop?:
        | 'completed'
        | 'framework_fix_needed'
        | 'governance_violation'
        | 'verification_failed'
        | 'review_rejected'
        | 'parse_failed'
        | 'worker_failed'
        | 'budget_exhausted';
      /**
       * Bound of a retry edge: the step that owns this transition may run at most this many times per milestone; then `exhausted` is taken. A number or a policy key path (e.g. verification.max_attempts).
       */
      attempts?: number | string;
      exhausted?: Target1;
    };
/**
 * Where to go when `attempts` is spent.
 */
export type Target1 =
  | string
  | {
      /**
       * Id of the next step.
       */
      goto?: string;
      /**
       * End the run with this stop reason.
       */
      stop?:
        | 'completed'
        | 'framework_fix_needed'
        | 'governance_violation'
        | 'verification_failed'
        | 'review_rejected'
        | 'parse_failed'
        | 'worker_failed'
        | 'budget_exhausted';
      /**
       * Bound of a retry edge: the step that owns this transition may run at most this many times per milestone; then `exhausted` is taken. A number or a policy key path (e.g. verification.max_attempts).
       */
      attempts?: number | string;
      exhausted?: Target1;
    };
/**
 * Where a transition goes: a step id, or an object that goes to a step (optionally with an attempt bound) or stops the run.
 */
export type Target2 =
  | string
  | {
      /**
       * Id of the next step.
       */
      goto?: string;
      /**
       * End the run with this stop reason.
       */
      stop?:
        | 'completed'
        | 'framework_fix_needed'
        | 'governance_violation'
        | 'verification_failed'
        | 'review_rejected'
        | 'parse_failed'
        | 'worker_failed'
        | 'budget_exhausted';
      /**
       * Bound of a retry edge: the step that owns this transition may run at most this many times per milestone; then `exhausted` is taken. A number or a policy key path (e.g. verification.max_attempts).
       */
      attempts?: number | string;
      exhausted?: Target1;
    };
/**
 * Where a transition goes: a step id, or an object that goes to a step (optionally with an attempt bound) or stops the run.
 */
export type Target3 =
  | string
  | {
      /**
       * Id of the next step.
       */
      goto?: string;
      /**
       * End the run with this stop reason.
       */
      stop?:
        | 'completed'
        | 'framework_fix_needed'
        | 'governance_violation'
        | 'verification_failed'
        | 'review_rejected'
        | 'parse_failed'
        | 'worker_failed'
        | 'budget_exhausted';
      /**
       * Bound of a retry edge: the step that owns this transition may run at most this many times per milestone; then `exhausted` is taken. A number or a policy key path (e.g. verification.max_attempts).
       */
      attempts?: number | string;
      exhausted?: Target1;
    };
/**
 * Where a transition goes: a step id, or an object that goes to a step (optionally with an attempt bound) or stops the run.
 */
export type Target4 =
  | string
  | {
      /**
       * Id of the next step.
       */
      goto?: string;
      /**
       * End the run with this stop reason.
       */
      stop?:
        | 'completed'
        | 'framework_fix_needed'
        | 'governance_violation'
        | 'verification_failed'
        | 'review_rejected'
        | 'parse_failed'
        | 'worker_failed'
        | 'budget_exhausted';
      /**
       * Bound of a retry edge: the step that owns this transition may run at most this many times per milestone; then `exhausted` is taken. A number or a policy key path (e.g. verification.max_attempts).
       */
      attempts?: number | string;
      exhausted?: Target1;
    };

/**
 * An Engine pipeline: the workers of a run and its steps, a graph the engine compiles into a state machine. See docs/pipelines.md.
 */
export interface EnginePipeline {
  /**
   * Schema location, for editors.
   */
  $schema?: string;
  /**
   * Version of the file format; always engine/v1.
   */
  apiVersion: 'engine/v1';
  /**
   * The kind of file; always Pipeline here.
   */
  kind: 'Pipeline';
  /**
   * A short name shown in progress, summaries and reports.
   */
  name?: string;
  /**
   * What this pipeline is for.
   */
  description?: string;
  /**
   * The workers steps may call, by a name of your choosing (e.g. planner, implementer, reviewer).
   */
  workers: {
    [k: string]: WorkerSpec;
  };
  /**
   * Id of the first step.
   */
  start: string;
  /**
   * The steps of the run. Each has a unique id; transitions name step ids or stop the run.
   *
   * @minItems 1
   */
  steps: [Step, ...Step[]];
}
/**
 * One worker: a plugin (codex, claude, command, replay, or a path to a module) and its settings.
 */
export interface WorkerSpec {
  /**
   * The plugin: codex, claude, command, replay, or a path (./ or /) to a module that default-exports defineWorker(...).
   */
  use: string;
  /**
   * The CLI to run. Default: the engine package's pinned CLI in node_modules/.bin, then PATH.
   */
  bin?: string;
  /**
   * Extra arguments passed to the CLI (for command: the whole argv after bin).
   */
  args?: string[];
  /**
   * Environment variables set for the worker process.
   */
  env?: {
    [k: string]: string;
  };
  /**
   * Variables of the engine's environment passed to this worker on top of its allow-list (PATH, HOME, locale and terminal variables, TMPDIR and what its plugin declares); a name, or a glob with `*`. Everything else of the engine's environment is kept from the worker.
   */
  env_pass?: string[];
  /**
   * Model name passed to the CLI.
   */
  model?: string;
  /**
   * Origin of a model API (http://127.0.0.1:8787); the adapter adds the API paths and isolates the CLI's home.
   */
  model_endpoint?: string;
  /**
   * Use a private CLI home kept with the run even without a model_endpoint.
   */
  isolate_home?: boolean;
  /**
   * Wall-clock limit of one call; default budgets.worker_timeout_s.
   */
  timeout_s?: number;
  /**
   * Limit on silence (no output) in one call; default budgets.worker_idle_timeout_s.
   */
  idle_timeout_s?: number;
  /**
   * Ask the CLI for native structured output with the phase's markers schema (codex --output-schema, claude --json-schema).
   */
  structured_output?: boolean;
  /**
   * command worker: send the prompt on stdin (default) or as the last argument.
   */
  prompt_via?: 'stdin' | 'arg';
  /**
   * command worker: how to read its stdout (default text).
   */
  output?: 'text' | 'json' | 'jsonl';
  /**
   * replay worker: the run directory whose recorded calls are served.
   */
  from_run?: string;
  /**
   * Options for a plugin from a module, validated by the plugin's own schema.
   */
  options?: {};
}
export interface Step1 {
  /**
   * Unique id; shown in the timeline and in worker prompt headers (engine-step).
   */
  id: string;
  /**
   * worker: call a worker in a phase; verify: run a verification tier; command: run a shell command; checkpoint: commit the milestone; advance: move to the next milestone (outcomes more|done); decide: branch on guards.
   */
  type: 'worker' | 'verify' | 'command' | 'checkpoint' | 'advance' | 'decide';
  /**
   * What the step is for.
   */
  description?: string;
  /**
   * A guard name: when it is false the step is skipped and `next` is followed.
   */
  when?: string;
  /**
   * worker step: the worker's name from `workers`.
   */
  worker?: string;
  /**
   * worker step: the phase, which selects the prompt template and the markers schema.
   */
  phase?: 'explore' | 'plan' | 'implement' | 'review';
  /**
   * worker step: prompt template name in templates/prompts/ (default: the phase).
   */
  template?: string;
  /**
   * worker step: the worker may not change any file (default true for explore, plan and review).
   */
  read_only?: boolean;
  /**
   * verify step: the tier to run; auto selects tier0 or tier0_fast by the policy's guardrails.
   */
  tier?: 'tier0' | 'tier0_fast' | 'tier1' | 'tier2' | 'auto';
  /**
   * command step: a shell command run in the run's worktree; exit 0 is pass.
   */
  run?: string;
  /**
   * command step: limit in seconds (default 600).
   */
  timeout_s?: number;
  next?: Target;
  /**
   * Where to go for each outcome of the step (worker implement: done|blocked|no_changes_needed|framework_fix_needed; worker review: approve|request_changes|reject; other worker phases: ok; verify and command: pass|fail; checkpoint: ok; advance: more|done).
   */
  on?: {
    [k: string]: Target2;
  };
  /**
   * decide step: the first branch whose guard holds is taken.
   */
  branches?: {
    /**
     * A guard name.
     */
    if: string;
    goto: Target3;
  }[];
  else?: Target4;
}
