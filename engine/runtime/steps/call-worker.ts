import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { readTailSync } from '../../util/read-or-null.js';
import type { IrStep, WorkerPhase } from '../../compile/ir.js';
import type { WorkerSpec } from '../../generated/pipeline.js';
import { runWorkerCall, allocateCallDir } from '../../workers/run-worker-call.js';
import { resolveWorkerPlugin } from '../../workers/load-plugin.js';
import { takesModelEndpoint } from '../../workers/builtin-workers.js';
import { renderPrompt, templateUses } from '../../workers/render-prompt.js';
import { markersSchemaPath, readMarkersSchema } from '../../workers/extract-markers.js';
import type { Phase, Usage } from '../../workers/types.js';
import type { HomeScrubHit } from '../../workers/scrub-home.js';
import { packageRoot } from '../../paths.js';
import { workspaceHomesOf } from '../../git/workspace.js';
import type { RunContext } from '../../vocabulary/run-context.js';
import { stepFields, type Runtime, type StepFields } from '../types.js';
import type { NewEvent } from '../../store/timeline.js';
import { recordInflight } from './inflight.js';
import { projectDirsOf } from '../../workers/resolve-bin.js';
import { templateOverrideDir } from '../snapshot-config.js';
import type { TimelineEvent } from '../../generated/event.js';
import { RETRY_WINDOW, retryDecision } from '../../kpi/decide.js';
import { recentRunsOf } from '../index-run.js';
import { filesOf } from '../tree-files.js';
import { pushAll } from '../../util/many.js';
import { faultPoint } from '../../store/fault.js';
import { eventsOfType } from '../events-by.js';
import { reviewFindings } from '../guards.js';

export interface WorkerCallOutcome {
  outcome: 'ok' | 'failed' | 'timed_out' | 'incomplete';
  markers: Record<string, unknown> | null;
  markersError: string | null;
  sessionId: string | null;
  usage: Usage | null;
  error: string | null;
  /** The call directory relative to the run directory. */
  callRel: string;
  /** Paths of the call's file_change events, as the CLI reported them. */
  fileChanges: string[];
  /** The call's stderr (capped, redacted): for claims checked against the disk. */
  stderr: string;
  /** Event types of the CLI's output that the parser does not know, with their counts. */
  unknownEventTypes?: Record<string, number>;
  /** Where the call's processes could write (its sandbox's grants); null: wherever the engine's user can. */
  writes: string[] | null;
}

export interface CallRequest {
  /** The phase being repaired, for a repair prompt; null for the step's own prompt. */
  repairOf: WorkerPhase | null;
  sessionId: string | null;
  /** Tokens the session used in earlier calls of this step (null for a fresh session). */
  sessionUsage: Usage | null;
  previousError: string;
  /** See RunWorkerCallOptions.onExit. */
  onExit?: () => void;
}

/** A call about to run: its worker, plugin, phase, directories and prompt. */
interface PreparedCall {
  name: string;
  spec: WorkerSpec;
  plugin: Awaited<ReturnType<typeof resolveWorkerPlugin>>;
  stepPhase: WorkerPhase;
  phase: Phase;
  callDir: string;
  callRel: string;
  homeDir: string;
  prompt: string;
}

type RunWorkerCallOptions = Parameters<typeof runWorkerCall>[0];
type CallResult = Awaited<ReturnType<typeof runWorkerCall>>;

/**
 * One worker call of a step, recorded in the timeline (worker.started, worker.finished) and
 * in its call directory. The worker's process group is in state.json while it runs. Impure.
 */
export async function callWorker(rt: Runtime, step: IrStep, ctx: RunContext, req: CallRequest): Promise<WorkerCallOutcome> {
  const fields = stepFields(step.id, ctx);
  const call = await prepareCall(rt, step, ctx, req, fields);
  rt.append({ type: 'worker.started', ...fields, worker: call.name, plugin: call.spec.use, phase: call.phase, call: call.callRel });
  const fileChanges: string[] = [];
  const result = await runWorkerCall(callOptions(rt, step, req, call, fileChanges));
  recordInflight(rt, null);
  return recordCall(rt, fields, call, result, fileChanges);
}

/** The call's worker spec (with the run's endpoint and KPI decisions), plugin, call directory, home and prompt. Impure (makes the directories). */
async function prepareCall(rt: Runtime, step: IrStep, ctx: RunContext, req: CallRequest, fields: StepFields): Promise<PreparedCall> {
  const name = step.worker!;
  const spec = withKpiDecisions(effectiveSpec(rt.ir.workers[name]!, rt.modelEndpoint), name, rt.events);
  const plugin = await resolveWorkerPlugin(spec, rt.pipelineDir);
  const stepPhase = step.phase as WorkerPhase;
  const phase: Phase = req.repairOf ? 'repair' : stepPhase;
  // Rendered before anything of the call is made: a template that cannot be rendered stops
  // the step (PromptTemplateError) with no call directory left half made.
  const prompt = await promptFor(rt, step, ctx, req, fields, phase);
  const callDir = allocateCallDir(rt.paths.calls, step.id, name);
  const callRel = path.relative(rt.paths.dir, callDir);
  const homeDir = path.join(workspaceHomesOf(rt.ws.dir), name);
  mkdirSync(homeDir, { recursive: true });
  return { name, spec, plugin, stepPhase, phase, callDir, callRel, homeDir, prompt };
}

/** The call's prompt: the step's template (or the repair one) with the run's facts. Impure (reads templates, may append a KPI decision). */
async function promptFor(rt: Runtime, step: IrStep, ctx: RunContext, req: CallRequest, fields: StepFields, phase: Phase): Promise<string> {
  const stepPhase = step.phase as WorkerPhase;
  const template = req.repairOf ? 'repair' : (step.template ?? stepPhase);
  const overrideDir = templateOverrideDir(rt.paths.dir, rt.repo);
  // Recent runs that retried too often ask this plan for smaller milestones (docs/kpis.md).
  const smaller = stepPhase === 'plan' && !req.repairOf ? retryDecision(await recentRunsOf(rt, RETRY_WINDOW), rt.policy.kpi_targets) : null;
  if (smaller) rt.append({ type: 'kpi.decision', ...fields, ...smaller });
  return renderPrompt({
    template,
    overrideDir,
    headers: {
      phase,
      step: step.id,
      milestone: ctx.milestone > 0 ? ctx.milestone : null,
      attempt: ctx.attempts[step.id] ?? 1,
      repairOf: req.repairOf,
    },
    vars: { ...(await promptVars(rt, step, ctx, req, templateUses(template, overrideDir, 'files'))), smaller_milestones: smaller ? { retry_rate: smaller.value, target: smaller.target } : null },
  });
}

/** What the worker layer is given to run the call. Pure apart from the callbacks it wires. */
function callOptions(rt: Runtime, step: IrStep, req: CallRequest, call: PreparedCall, fileChanges: string[]): RunWorkerCallOptions {
  const { name, spec } = call;
  return {
    plugin: call.plugin,
    callDir: call.callDir,
    markersPhase: call.stepPhase,
    ctx: {
      workerName: name,
      spec,
      cwd: rt.state.workspace,
      homeDir: call.homeDir,
      prompt: call.prompt,
      phase: call.phase,
      readOnly: step.readOnly,
      sandboxed: rt.sandbox.active,
      outputSchemaPath: spec.structured_output ? markersSchemaPath(call.stepPhase) : null,
      resumeSessionId: req.sessionId,
      usageBaseline: req.sessionUsage,
      baseEnv: rt.childEnv,
      packageRoot,
      projectDirs: projectDirsOf(rt.repo),
    },
    // Asked once when the run (or resume) started: `claude --version` alone takes ~0.6 s.
    ...(name in rt.cliVersions ? { cliVersion: rt.cliVersions[name] } : {}),
    sandbox: rt.sandbox,
    rawCapBytes: rt.policy.transcripts.raw_cap_bytes,
    redact: rt.policy.transcripts.redact,
    timeoutMs: (spec.timeout_s ?? rt.policy.budgets.worker_timeout_s) * 1000,
    idleTimeoutMs: (spec.idle_timeout_s ?? rt.policy.budgets.worker_idle_timeout_s) * 1000,
    onSpawn: (pid) => {
      recordInflight(rt, { pid, pgid: pid, step: step.id, call: call.callRel });
      // Tests: a failure while the worker runs (docs/runs.md, "Test hooks").
      faultPoint('worker.spawned');
    },
    ...(req.onExit ? { onExit: req.onExit } : {}),
    onEvent: (e) => {
      if (e.kind === 'file_change') pushAll(fileChanges, e.changes.map((c) => c.path));
    },
    signal: rt.signal,
  };
}

/** The call's end in the timeline (scrubbed homes, `worker.finished`) and its outcome for the step. Impure. */
function recordCall(rt: Runtime, fields: StepFields, call: PreparedCall, result: CallResult, fileChanges: string[]): WorkerCallOutcome {
  for (const h of result.homeScrubbed) rt.append(scrubbedWarning(fields, call.name, h));
  const durationMs = rt.env.duration(result.meta.duration_ms);
  const error = result.outcome === 'ok' ? null : (result.meta.error ?? result.outcome);
  rt.append({
    type: 'worker.finished',
    ...fields,
    worker: call.name,
    call: call.callRel,
    outcome: result.outcome,
    exit_code: result.meta.exit_code,
    timed_out: result.meta.timed_out || result.meta.idle_timed_out,
    duration_ms: durationMs,
    usage: result.usage,
    cost_usd: result.costUsd,
    markers_ok: result.markers !== null,
    error,
  });
  const stderr = readStderr(path.join(call.callDir, 'stderr.log'));
  return { outcome: result.outcome, markers: result.markers, markersError: result.markersError, sessionId: result.sessionId, usage: result.usage, error, callRel: call.callRel, fileChanges, stderr, unknownEventTypes: result.meta.unknown_event_types, writes: result.writes };
}

/** The last 64 KiB of a call's stderr.log ('' when there is none), read from its end. Impure. */
function readStderr(file: string): string {
  try {
    return readTailSync(file, 64 * 1024);
  } catch {
    return '';
  }
}

/**
 * The timeline's record of a secret scrubbed from a worker's home: file (`homes/<worker>/…`,
 * the homes being beside the workspace) and name, never the value. Pure.
 */
export function scrubbedWarning(fields: ReturnType<typeof stepFields>, worker: string, hit: HomeScrubHit): NewEvent {
  const file = path.join('homes', worker, hit.file);
  if (hit.removed) return { type: 'warning', ...fields, code: 'home_file_removed', file, message: `a worker's home held what could not be searched for secrets (${hit.removed}): removed, ${file}` };
  return { type: 'warning', ...fields, code: 'secret_scrubbed', file, message: `a worker's home held the value of ${hit.names.join(', ')}: scrubbed in ${file}` };
}

/** A worker spec with the KPI decisions about it applied: native structured output once parse failures were over target. Pure. */
export function withKpiDecisions(spec: WorkerSpec, name: string, events: readonly TimelineEvent[]): WorkerSpec {
  const switched = eventsOfType(events, 'kpi.decision').some((e) => e.decision === 'structured_output' && e.worker === name);
  return switched && !spec.structured_output ? { ...spec, structured_output: true } : spec;
}

/** A worker spec with the run's scripted model endpoint applied to the workers whose plugin takes one. Pure. */
export function effectiveSpec(spec: WorkerSpec, endpoint: string | null): WorkerSpec {
  if (endpoint && takesModelEndpoint(spec.use)) return { ...spec, model_endpoint: endpoint };
  return spec;
}

async function promptVars(rt: Runtime, step: IrStep, ctx: RunContext, req: CallRequest, listFiles: boolean): Promise<Record<string, unknown>> {
  const m = ctx.milestones[ctx.milestone - 1];
  const attempt = ctx.attempts[step.id] ?? 1;
  // The files as the workspace was recorded when the step began (what the worker starts from).
  const tree = rt.state.workspace_tree;
  // Listed only for a template that shows it (the built-in explore and plan prompts).
  const files = tree && listFiles ? await filesOf(rt, tree) : [];
  return {
    goal: rt.task.goal,
    task_kind: rt.task.kind,
    step: step.id,
    phase: step.phase,
    attempt,
    milestone: m ? { index: ctx.milestone, count: ctx.milestones.length, ...m } : null,
    milestones: ctx.milestones,
    explore: ctx.explore,
    failure: attempt > 1 && ctx.verify && !ctx.verify.pass ? { tier: ctx.verify.tier, output: ctx.verify.output_tail.slice(-4000) } : null,
    review_changes: attempt > 1 && ctx.review?.verdict === 'request_changes' ? ctx.review.changes : null,
    carried_failure: ctx.kpi?.carry ? { text: ctx.kpi.carry, why: ctx.kpi.require_review } : null,
    previous_error: req.repairOf ? req.previousError : null,
    // What made the engine call the reviewer, as it found it (guards.ts).
    findings: step.phase === 'review' ? reviewFindings(ctx, rt.policy) : [],
    markers_schema: readMarkersSchema(step.phase as WorkerPhase),
    files: files.slice(0, 200),
    files_truncated: files.length > 200,
  };
}

