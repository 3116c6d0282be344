/* Generated from schemas/ by scripts/generate-types.mjs — do not edit; run `npm run gen`. */

/**
 * Match prompts of this phase (engine-phase); omitted = any phase.
 */
export type ScenarioPhase = 'explore' | 'plan' | 'implement' | 'review' | 'repair' | 'probe';
/**
 * Match repair prompts for this phase (engine-repair-of); omitted = any.
 */
export type ScenarioPhase1 = 'explore' | 'plan' | 'implement' | 'review' | 'repair' | 'probe';
/**
 * A phase of the worker protocol (the engine-phase header).
 *
 * This interface was referenced by `EngineScenario`'s JSON-Schema
 * via the `definition` "phase".
 */
export type ScenarioPhase2 = 'explore' | 'plan' | 'implement' | 'review' | 'repair' | 'probe';

/**
 * A script for the engine's scripted model server (engine stub-model): the replies it serves to the real claude and codex CLIs, chosen by the engine headers of each prompt. See docs/scenarios.md.
 */
export interface EngineScenario {
  /**
   * Schema location, for editors.
   */
  $schema?: string;
  /**
   * Version of the file format; always engine/v1.
   */
  apiVersion: 'engine/v1';
  /**
   * The kind of file; always Scenario here.
   */
  kind: 'Scenario';
  /**
   * A short name shown in logs and error replies.
   */
  name: string;
  /**
   * What this scenario scripts (the run it drives, the failure it provokes).
   */
  description?: string;
  /**
   * The scripted replies. A prompt is served by the first entry, in file order, whose every given field matches its engine headers; an omitted field matches anything.
   *
   * @minItems 1
   */
  replies: [ScenarioReply, ...ScenarioReply[]];
}
/**
 * The turns served to one kind of prompt, selected by its engine headers.
 *
 * This interface was referenced by `EngineScenario`'s JSON-Schema
 * via the `definition` "reply".
 */
export interface ScenarioReply {
  /**
   * Why this reply exists (shown in the exchange log).
   */
  description?: string;
  phase?: ScenarioPhase;
  /**
   * Match prompts of this pipeline step id (engine-step); omitted = any step.
   */
  step?: string;
  /**
   * Match this 1-based milestone (engine-milestone), or "-" for prompts outside milestones; omitted = any.
   */
  milestone?: number | '-';
  /**
   * Match this 1-based attempt (engine-attempt); omitted = any attempt.
   */
  attempt?: number;
  repair_of?: ScenarioPhase1;
  /**
   * The model's turns in order. A turn with actions returns tool calls; the CLI's next request (carrying the tool results) gets the next turn. The last turn is normally text.
   *
   * @minItems 1
   */
  turns: [ScenarioTurn, ...ScenarioTurn[]];
}
/**
 * One model turn: text, tool calls (with optional text before them), or an API error (error excludes the others).
 *
 * This interface was referenced by `EngineScenario`'s JSON-Schema
 * via the `definition` "turn".
 */
export interface ScenarioTurn {
  /**
   * Assistant text. Without actions it is the final answer of the call, usually a BEGIN_MARKERS/END_MARKERS block; with actions it is said before the tool calls.
   */
  text?: string;
  /**
   * Tool calls made in this turn, in order, translated into the CLI's own tools (claude: Write, Edit, Bash; codex: exec_command).
   *
   * @minItems 1
   */
  actions?: [ScenarioAction, ...ScenarioAction[]];
  /**
   * Answer this turn with an API error instead (the CLI reports a failed call).
   */
  error?: {
    /**
     * HTTP status; default 400 (5xx makes the CLIs retry before failing).
     */
    status?: number;
    /**
     * Error message, in the API's own error format.
     */
    message: string;
  };
}
/**
 * One tool call: exactly one of write, edit or run.
 *
 * This interface was referenced by `EngineScenario`'s JSON-Schema
 * via the `definition` "action".
 */
export interface ScenarioAction {
  /**
   * Create or overwrite a file.
   */
  write?: {
    /**
     * Path relative to the worker's working directory.
     */
    path: string;
    /**
     * The whole new content of the file.
     */
    content: string;
  };
  /**
   * Replace one exact occurrence of a string in a file.
   */
  edit?: {
    /**
     * Path relative to the worker's working directory.
     */
    path: string;
    /**
     * The text to replace; must occur in the file.
     */
    old: string;
    /**
     * The replacement text.
     */
    new: string;
  };
  /**
   * Run a shell command in the worker's working directory.
   */
  run?: {
    /**
     * The shell command line.
     */
    cmd: string;
  };
}
