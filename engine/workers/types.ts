/**
 * The worker plugin API and the shapes that cross between a worker call and the runtime.
 * Built-in workers (listed in registry.ts) and a user's own module all implement
 * `WorkerPlugin` (through `defineBuiltinWorker` and `defineWorker`), facts included: the
 * engine asks a plugin what it can do instead of knowing it by name. Types only; no I/O.
 */
import type { WorkerSpec } from '../generated/pipeline.js';

/**
 * An environment, as `process.env` holds it. Its own type (not NodeJS.ProcessEnv) so a
 * plugin's types compile without @types/node.
 */
export type Env = { [name: string]: string | undefined };

export type Phase = 'explore' | 'plan' | 'implement' | 'review' | 'repair' | 'probe';
/** Phases whose answer carries a markers block validated against schemas/markers/<phase>. */
export type MarkersPhase = 'explore' | 'plan' | 'implement' | 'review';

/** One normalized event of a worker's stream (events.jsonl), whatever the CLI's dialect. */
export type NormalizedEvent =
  | {
      kind: 'message';
      text: string;
      role?: 'assistant' | 'user';
      final?: boolean;
      id?: string;
      /** Set on a sub-agent's message (claude `parent_tool_use_id`): never the final answer. */
      parent?: string;
    }
  | { kind: 'reasoning'; text: string; id?: string }
  | { kind: 'tool_call'; name: string; input: unknown; id?: string; parent?: string }
  | { kind: 'tool_result'; id?: string; output: string; is_error?: boolean }
  | { kind: 'command'; command: string; exit_code: number | null; output?: string; status?: string }
  | { kind: 'file_change'; changes: { path: string; kind: string }[] }
  | { kind: 'usage'; input_tokens: number; output_tokens: number; cached_input_tokens?: number }
  | { kind: 'warning'; message: string }
  | { kind: 'error'; message: string; fatal?: boolean }
  | { kind: 'unknown'; type: string; raw: unknown };

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
}

/** How the child ended, as the process runner saw it. */
export interface ProcessExit {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  idleTimedOut: boolean;
  /** The process could not be started. */
  spawnError: string | null;
  /** It printed its terminal event but did not exit, so the engine ended it after a grace period. */
  reapedAfterTerminal?: boolean;
}

/**
 * ok: a terminal success event (and, where the CLI's exit code is reliable, exit 0);
 * failed: a terminal failure, an error result, a non-zero exit, an invocation error;
 * incomplete: no terminal event (killed, cut short, timed out).
 */
export type OutcomeClass = 'ok' | 'failed' | 'incomplete';

export interface ParsedOutcome {
  outcome: OutcomeClass;
  /** The final answer only: never reasoning, echoed prompts, tool output or sub-agent text. */
  finalText: string;
  /** Session/thread id for resuming (claude session_id, codex thread_id). */
  sessionId: string | null;
  /** Which output format was recognised (e.g. codex-exec-json, codex-legacy, claude-stream-json). */
  dialect: string;
  usage: Usage | null;
  costUsd: number | null;
  /** Event types the parser did not know, with counts. */
  unknownEventTypes: Record<string, number>;
  /** Why the call failed (terminal event's message, invocation error text). */
  error: string | null;
  /** Native structured output when the CLI returned one. */
  structuredOutput?: unknown;
  /** Notes that do not change the outcome (non-fatal errors, unfinished items, denials). */
  warnings?: string[];
  /** Events only known at the end (whole-document formats such as claude `json`), in order. */
  events?: NormalizedEvent[];
}

/** A line-at-a-time parser of one call's stdout. */
export interface StreamParser {
  /** One line of stdout, decoded whole, without its `\n` and one trailing `\r`. */
  line(text: string): NormalizedEvent[];
  /** The stream ended; `stderr` is the captured stderr text (capped). */
  end(exit: ProcessExit, stderr: string): ParsedOutcome;
  /**
   * True once the terminal event was seen (codex turn.completed/turn.failed, claude result):
   * the runner then gives the process a grace period to exit before ending it.
   */
  sawTerminal?(): boolean;
}

/** What a plugin needs to know to build one invocation. */
export interface WorkerCallContext {
  /** The worker's name in the pipeline (`workers.<name>`). */
  workerName: string;
  spec: WorkerSpec;
  /** Where the worker runs: the run's worktree. */
  cwd: string;
  /** Private CLI home for this worker, beside the run's workspace (`<run-id>.homes/<worker>/`). */
  homeDir: string;
  prompt: string;
  phase: Phase;
  /** The worker must not change files (explore, plan, review). */
  readOnly: boolean;
  /**
   * The engine runs this call inside its OS sandbox (bubblewrap: read-only filesystem outside
   * the workspace, the home and a private /tmp). A CLI with a sandbox of its own may turn that
   * off then (codex does: a nested one adds nothing and breaks in some setups).
   */
  sandboxed: boolean;
  /** Path of the markers JSON schema when native structured output is on, else null. */
  outputSchemaPath: string | null;
  /** Session to continue (repair prompts), or null for a fresh session. */
  resumeSessionId: string | null;
  /** Usage the resumed session reported before this call (CLIs that report thread totals subtract it). */
  usageBaseline?: Usage | null;
  /**
   * The environment the plugin builds on. Callers give the engine's own; runWorkerCall narrows
   * it to the allow-list (see WorkerPlugin.envPass) before the plugin sees it.
   */
  baseEnv: Env;
  /** The engine package root (for locating pinned CLIs in node_modules/.bin). */
  packageRoot: string;
  /** Dirs whose node_modules/.bin (walking up) come before the engine's own: the target repo, the engine's cwd. */
  projectDirs?: readonly string[];
}

export interface WorkerInvocation {
  bin: string;
  args: string[];
  env: Env;
  cwd: string;
  /** 'closed': stdin closed at once; 'prompt': the prompt is written to stdin, then closed. */
  stdin: 'closed' | 'prompt';
  /**
   * Absolute paths the CLI must be able to write besides the workspace and ctx.homeDir (its
   * state dir when it does not use the private home), granted inside the engine's sandbox.
   */
  writable?: string[];
}

/** CLI versions from `from` (inclusive) to `below` (exclusive, null: open) print `dialect`. */
export interface DialectRange {
  from: string;
  below: string | null;
  dialect: string;
}

/**
 * What the engine knows of the CLI a plugin drives: `engine doctor` and a run's preflight
 * judge the CLI's version with it (a version outside every range is contract drift) and
 * name the package to install when the CLI is missing.
 */
export interface CliFacts {
  /** The npm package that ships the CLI. */
  pkg: string;
  /** Which versions print which output dialect, oldest first. */
  ranges: readonly DialectRange[];
  /** Versions run end to end against the scripted model; the last one is the one to pin. */
  verified: readonly string[];
}

/**
 * How to tell offline that the CLI can call its model with the user's own login: a
 * credential file in its home, or a key in the environment. Not needed when the worker has
 * a `model_endpoint` (the plugin then uses a dummy key).
 */
export interface LoginCheck {
  /** The variable that moves the CLI's home (CODEX_HOME); without it the home is `~/<homeDir>`. */
  homeVar: string;
  homeDir: string;
  /** The credential file in that home. */
  file: string;
  /** Environment keys that stand in for a login, the usual one first. */
  keys: readonly string[];
  /** What the user runs to log in (a command line, nothing else: it is shown as code). */
  command: string;
  /** What they do in it then, when running it is not all (claude: type /login). */
  then?: string;
  /** Where the login may be kept out of reach of an offline check (claude: the macOS Keychain): there a missing file warns, never blocks. */
  unreadable?: { platform: string; where: string };
}

/**
 * The plugin can be pointed at a model API origin (`model_endpoint`, and the run's scripted
 * model or recording proxy, which the engine then gives every such worker).
 */
export interface ModelEndpointFacts {
  /** The API the CLI speaks to that origin; the scripted model answers both. */
  api: 'anthropic' | 'openai';
  /** The variables the plugin sets for it (for the docs and the doctor). */
  env: readonly string[];
}

/** Files of the user's own CLI config under `root` (files or directories, walked), some compared by a digest of their bytes. */
export interface UserConfigPlace {
  root: string;
  paths: readonly string[];
  /** Relative paths (and what is under them) the CLI keeps up itself, left out. */
  skip?: readonly string[];
  digests?: Readonly<Record<string, (bytes: Uint8Array) => string>>;
}

export interface WorkerPlugin {
  name: string;
  /** The worker protocol version this plugin speaks (contract §4). */
  contract: 1;
  /** One line on what it runs (the schema's list of built-ins, `engine doctor`). */
  summary?: string;
  /** The CLI it drives, with its tested versions: absent for a plugin without one fixed CLI. */
  cli?: CliFacts;
  /** How to tell that its CLI is logged in; absent when it needs no login. */
  login?: LoginCheck;
  /** It takes a model endpoint (see ModelEndpointFacts); absent when it talks to no model API itself. */
  modelEndpoint?: ModelEndpointFacts;
  /**
   * The CLI has native structured output (`structured_output: true` is honoured): after too
   * many parse failures the run switches it on instead of stopping for `engine doctor --live`.
   */
  structuredOutput?: boolean;
  /** The parsers of the output dialects its calls record (meta.json `dialect`): replay reads a call with them. */
  dialects?: Readonly<Record<string, () => StreamParser>>;
  /** False when `engine doctor --live` cannot learn anything from a probe call (replay serves only recorded calls). Default true. */
  probe?: boolean;
  /** The dialect a call with this spec prints when the spec alone tells it (a command's `output`), else null. */
  dialectFor?(spec: WorkerSpec): string | null;
  /**
   * Variables of the engine's environment this plugin's CLI needs (names, or globs with `*`),
   * e.g. its provider key and base URL. A worker process gets only these, the base allow-list
   * (PATH, HOME, locale, terminal, TMPDIR: worker-env.ts) and its pipeline's `env_pass`;
   * `ctx.baseEnv` holds exactly that.
   */
  envPass?: readonly string[];
  /** The CLI's version, e.g. `0.169.0`; null when it cannot be told. */
  detectVersion(ctx: { bin: string; env: Env }): Promise<string | null>;
  /**
   * Resolve the binary to run for this spec: spec.bin, then the CLI in the project's
   * node_modules/.bin (`projectDirs`, walking up), the engine package's own, then PATH.
   */
  resolveBin(spec: WorkerSpec, packageRoot: string, projectDirs?: readonly string[]): string;
  /**
   * The user's own config of its CLI that a worker with this spec reaches, keeping its state in
   * the user's CLI home instead of a private one: what the CLI's next session runs (hooks, MCP
   * servers) or reads as instructions. The engine watches it after every step, whatever the
   * sandbox mode (governance rule `cli_config`). `env` is the engine's environment with the
   * spec's `env` over it. Absent or empty: nothing of the user's is reached.
   */
  userConfig?(spec: WorkerSpec, env: Env): UserConfigPlace[];
  /**
   * Where a worker with this spec keeps its CLI's own state outside its workspace and private
   * home (codex's CODEX_HOME or ~/.codex without a private home): granted writable to it under
   * the OS sandbox. A run refuses one that is, holds or lies in a place the sandbox keeps
   * read-only (the checkout, its git dirs, the run store: E_SANDBOX_WRITABLE), as it does a
   * `sandbox.writable` entry. `env` as for userConfig. Absent or empty: none.
   */
  stateDirs?(spec: WorkerSpec, env: Env): string[];
  /** Write what the CLI needs before a call (private home, config). May be called many times. */
  prepare?(ctx: WorkerCallContext): Promise<void>;
  invoke(ctx: WorkerCallContext): WorkerInvocation;
  createParser(ctx: WorkerCallContext): StreamParser;
}

/** Identity helper that gives a user's plugin module its types. Pure. */
export function defineWorker(plugin: WorkerPlugin): WorkerPlugin {
  return plugin;
}

/** A built-in plugin (workers/registry.ts): it also says in one line what it runs. */
export type BuiltinWorker = WorkerPlugin & { summary: string };

/** defineWorker for a built-in plugin. Pure. */
export function defineBuiltinWorker(plugin: BuiltinWorker): BuiltinWorker {
  return plugin;
}
