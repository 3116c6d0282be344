/* Generated from schemas/ by scripts/generate-types.mjs — do not edit; run `npm run gen`. */

/**
 * One step of the pipeline; its `type` decides which other keys it takes.
 *
 * This interface was referenced by `EnginePipeline`'s JSON-Schema
 * via the `definition` "step".
 */
export type Step = WorkerStep | VerifyStep | CommandStep | CheckpointStep | AdvanceStep | DecideStep;
/**
 * Where a transition goes: a step id, or an object that goes to a step (optionally with an attempt bound) or stops the run.
 *
 * This interface was referenced by `EnginePipeline`'s JSON-Schema
 * via the `definition` "target".
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
 * A guard name; the compiler checks it (E_UNKNOWN_GUARD).
 *
 * This interface was referenced by `EnginePipeline`'s JSON-Schema
 * via the `definition` "guard".
 */
export type Guard = string;
/**
 * A guard name: when it is false the step is skipped and `next` is followed.
 */
export type Guard1 = string;
/**
 * Where to go for every outcome not named in `on`.
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
 * A guard name: when it is false the step is skipped and `next` is followed.
 */
export type Guard2 = string;
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
 * A guard name: when it is false the step is skipped and `next` is followed.
 */
export type Guard3 = string;
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
 * A guard name: when it is false the step is skipped and `next` is followed.
 */
export type Guard4 = string;
/**
 * Where a transition goes: a step id, or an object that goes to a step (optionally with an attempt bound) or stops the run.
 */
export type Target5 =
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
 * A guard name: when it is false the step is skipped and `next` is followed.
 */
export type Guard5 = string;
/**
 * Where a transition goes: a step id, or an object that goes to a step (optionally with an attempt bound) or stops the run.
 */
export type Target6 =
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
 * The guard to test.
 */
export type Guard6 = string;
/**
 * Where a transition goes: a step id, or an object that goes to a step (optionally with an attempt bound) or stops the run.
 */
export type Target7 =
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
export type Target8 =
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
 * One worker: a plugin (a built-in one by name, or a path to a module) and its settings.
 *
 * This interface was referenced by `EnginePipeline`'s JSON-Schema
 * via the `definition` "worker".
 */
export interface WorkerSpec {
  /**
   * The plugin: the name of a built-in one (listed in the first alternative, from engine/workers/registry.ts), or a path (./ or /) to a module that default-exports defineWorker(...).
   */
  use: string;
  /**
   * The CLI to run: a bare name is looked up on PATH; a relative path (./tools/agent.sh) is the file of the repository's checkout, named from the repository's top (not from the pipeline file, unlike a use: path), never the workspace's copy. Default: the CLI installed in the project's node_modules/.bin, then the engine package's, then PATH.
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
/**
 * A worker step: call a worker in a phase.
 *
 * This interface was referenced by `EnginePipeline`'s JSON-Schema
 * via the `definition` "workerStep".
 */
export interface WorkerStep {
  /**
   * Unique id; shown in the timeline and in worker prompt headers (engine-step).
   */
  id: string;
  /**
   * worker: call a worker in a phase.
   */
  type: 'worker';
  /**
   * What the step is for.
   */
  description?: string;
  when?: Guard1;
  /**
   * The worker's name from `workers` (e.g. planner, implementer, reviewer).
   */
  worker: string;
  /**
   * worker step: the phase, which selects the prompt template and the markers schema.
   */
  phase: 'explore' | 'plan' | 'implement' | 'review';
  /**
   * worker step: prompt template name in templates/prompts/ (default: the phase).
   */
  template?: string;
  /**
   * worker step: the worker may not change any file (default true for explore, plan and review).
   */
  read_only?: boolean;
  next?: Target2;
  /**
   * Where to go for each outcome: implement: done|blocked|no_changes_needed|framework_fix_needed; review: approve|request_changes|reject; explore and plan: ok.
   */
  on?: {
    [k: string]: Target;
  };
}
/**
 * A verify step: run a verification tier of the policy.
 *
 * This interface was referenced by `EnginePipeline`'s JSON-Schema
 * via the `definition` "verifyStep".
 */
export interface VerifyStep {
  /**
   * Unique id; shown in the timeline and in worker prompt headers (engine-step).
   */
  id: string;
  /**
   * verify: run a verification tier of the policy.
   */
  type: 'verify';
  /**
   * What the step is for.
   */
  description?: string;
  when?: Guard2;
  /**
   * verify step: the tier to run; auto selects tier0 or tier0_fast by the policy's guardrails.
   */
  tier: 'tier0' | 'tier0_fast' | 'tier1' | 'tier2' | 'auto';
  next?: Target3;
  /**
   * Where to go for each outcome: pass|fail.
   */
  on?: {
    [k: string]: Target;
  };
}
/**
 * A command step: run a shell command in the run's workspace.
 *
 * This interface was referenced by `EnginePipeline`'s JSON-Schema
 * via the `definition` "commandStep".
 */
export interface CommandStep {
  /**
   * Unique id; shown in the timeline and in worker prompt headers (engine-step).
   */
  id: string;
  /**
   * command: run a shell command in the run's workspace.
   */
  type: 'command';
  /**
   * What the step is for.
   */
  description?: string;
  when?: Guard3;
  /**
   * command step: a shell command run in the run's worktree; exit 0 is pass.
   */
  run: string;
  /**
   * command step: limit in seconds (default 600).
   */
  timeout_s?: number;
  next?: Target4;
  /**
   * Where to go for each outcome: pass (exit 0)|fail.
   */
  on?: {
    [k: string]: Target;
  };
}
/**
 * A checkpoint step: commit the milestone's change on the run's branch.
 *
 * This interface was referenced by `EnginePipeline`'s JSON-Schema
 * via the `definition` "checkpointStep".
 */
export interface CheckpointStep {
  /**
   * Unique id; shown in the timeline and in worker prompt headers (engine-step).
   */
  id: string;
  /**
   * checkpoint: commit the milestone's change on the run's branch.
   */
  type: 'checkpoint';
  /**
   * What the step is for.
   */
  description?: string;
  when?: Guard4;
  next?: Target5;
  /**
   * Where to go for each outcome: ok.
   */
  on?: {
    [k: string]: Target;
  };
}
/**
 * A advance step: move to the next milestone.
 *
 * This interface was referenced by `EnginePipeline`'s JSON-Schema
 * via the `definition` "advanceStep".
 */
export interface AdvanceStep {
  /**
   * Unique id; shown in the timeline and in worker prompt headers (engine-step).
   */
  id: string;
  /**
   * advance: move to the next milestone.
   */
  type: 'advance';
  /**
   * What the step is for.
   */
  description?: string;
  when?: Guard5;
  next?: Target6;
  /**
   * Where to go for each outcome: more (a milestone is open)|done (none left).
   */
  on?: {
    [k: string]: Target;
  };
}
/**
 * A decide step: branch on guards.
 *
 * This interface was referenced by `EnginePipeline`'s JSON-Schema
 * via the `definition` "decideStep".
 */
export interface DecideStep {
  /**
   * Unique id; shown in the timeline and in worker prompt headers (engine-step).
   */
  id: string;
  /**
   * decide: take the first branch whose guard holds, else `else`.
   */
  type: 'decide';
  /**
   * What the step is for.
   */
  description?: string;
  /**
   * decide step: the first branch whose guard holds is taken.
   */
  branches: {
    if: Guard6;
    goto: Target7;
  }[];
  else: Target8;
}
