import type { AnyActorRef, AnyStateMachine } from 'xstate';
import type { ResolvedPolicy } from '../config/policy/resolved-policy.js';
import type { RunState } from '../generated/state.js';
import type { TimelineEvent } from '../generated/event.js';
import type { CompiledPipeline, IrStep } from '../compile/ir.js';
import type { TimelineWriter, NewEvent } from '../store/timeline.js';
import type { RunPaths } from '../vocabulary/run-layout.js';
import type { RunEnv } from './clock.js';
import type { RunContext, ContextPatch } from '../vocabulary/run-context.js';
import type { StopReason } from '../vocabulary/stop-reasons.js';
import type { Secret } from '../workers/redact.js';
import type { RunRecord } from '../store/run-records.js';
import type { Workspace } from '../git/workspace.js';
import type { GitIdentity } from '../git/identity.js';
import type { OutsideWatch } from './watch-outside.js';
import type { SandboxStatus } from '../sandbox/sandbox-status.js';

/** The merged policy with every key present (defaults filled by the built-in layer). */
export type RunPolicy = ResolvedPolicy;

export interface TaskInfo {
  goal: string;
  kind: 'greenfield' | 'incremental';
  file: string | null;
  scenario: string | null;
  allowedRoots: string[] | null;
  /** A model-traffic recording to serve the workers from (task `replay`), resolved; absent or null: none. */
  replay?: string | null;
}

/** Everything a step needs while the run is driven. Built by start/resume, used by the loop. */
export interface Runtime {
  ir: CompiledPipeline;
  pipelineDir: string;
  policy: RunPolicy;
  task: TaskInfo;
  repo: string;
  /** The run's workspace, outside the user's repo, and the engine's own git dir for it. */
  ws: Workspace;
  /** Tree of the run branch's commit (the last checkpoint or the base); null before the first on an unborn branch. */
  headTree: string | null;
  /** Checkpoint identity, read once per session. */
  identity: GitIdentity;
  /** What outside the workspace no step may change, and its fingerprints from before any step could change it. */
  outside: OutsideWatch;
  paths: RunPaths;
  state: RunState;
  events: TimelineEvent[];
  timeline: TimelineWriter;
  machine: AnyStateMachine;
  actor: AnyActorRef;
  env: RunEnv;
  /** Environment for child processes (the engine's own, less nothing: redaction is on disk). */
  childEnv: NodeJS.ProcessEnv;
  /** Each worker's CLI version as env.json recorded it (asked once per session, not per call). */
  cliVersions: Record<string, string | null>;
  /** Endpoint of the scripted model for this run, if any. */
  modelEndpoint: string | null;
  /** The OS sandbox every worker and command of this session runs in (policy + probe). */
  sandbox: SandboxStatus;
  signal: AbortSignal;
  /** Values that never reach the run directory (see run-secrets.ts). */
  secrets: Secret[];
  /** Text with every secret replaced by its redaction mark. Pure. */
  scrub(text: string): string;
  /** Ms this session has been driving the run (for the time budget), on the run's clock. */
  sessionElapsed: () => number;
  /** Elapsed ms counted before this session. */
  elapsedBeforeMs: number;
  /** Write state.json now (atomically; `durable` syncs its content: at a step's end). */
  persist(durable?: boolean): void;
  /** The engine's records in the run store, checked after every worker call. */
  records: RunRecord[];
  /** state.json as last written by `persist`, in the parts it was written from (stateParts), or null before the first write. */
  stateParts: Buffer[] | null;
  append(...events: NewEvent[]): TimelineEvent[];
}

/** What a step returns: an outcome with a patch and the events that close it, or a stop. */
export type StepResult =
  | {
      outcome: string;
      patch: ContextPatch;
      events?: NewEvent[];
      /** The workspace's tree after the step, when the step took it. */
      tree?: string;
      /** The run branch's new commit and its tree (a checkpoint). */
      head?: { sha: string; tree: string };
    }
  | { stop: StopReason; detail: string; events?: NewEvent[] };

export type StepExecutor = (step: IrStep, rt: Runtime, ctx: RunContext) => Promise<StepResult>;

/** Fields every event of the current step carries. */
export type StepFields = { step: string | null; milestone: number | null; attempt: number | null };

/** The StepFields of a step at this point of the run. Pure. */
export function stepFields(step: string | null, ctx: RunContext): StepFields {
  return {
    step,
    milestone: ctx.milestone > 0 ? ctx.milestone : null,
    attempt: step ? (ctx.attempts[step] ?? 1) : null,
  };
}
