import type { IrStep } from '../compile/ir.js';
import { snapshotTree } from '../git/snapshot.js';
import type { RunContext, StepDoneEvent } from '../vocabulary/run-context.js';
import { explainGuard } from './guards.js';
import { runningCounters } from './counters.js';
import type { StopReason } from '../vocabulary/stop-reasons.js';
import { stepFields, type Runtime, type StepExecutor, type StepFields, type StepResult } from './types.js';
import { runVerifyStep, withVerifyChanges } from './steps/verify.js';
import { runCommandStep } from './steps/command.js';
import { runCheckpointStep } from './steps/checkpoint.js';
import { runAdvanceStep } from './steps/advance.js';
import { runDecideStep } from './steps/decide.js';
import { runWorkerStep } from './steps/worker.js';
import { governStep } from './govern-call.js';
import { checkRunBranch } from './check-run-branch.js';
import { describeViolations } from '../governance/check-changes.js';
import { setUpWorkspace } from './setup-workspace.js';
import { describeLoop, detectLoop, LoopRounds, probeOf } from './detect-loop.js';
import { collectWhenGrown } from './heap.js';
import { takeWithheld } from '../sandbox/wrap-command.js';

const EXECUTORS: Record<IrStep['type'], StepExecutor> = {
  worker: runWorkerStep,
  verify: runVerifyStep,
  command: runCommandStep,
  checkpoint: runCheckpointStep,
  advance: runAdvanceStep,
  decide: runDecideStep,
};

/** Steps that do work (count as ticks); advance and decide only route. */
export function isWorkStep(step: IrStep): boolean {
  return step.type !== 'advance' && step.type !== 'decide';
}

export interface LoopEnd {
  reason: StopReason;
  detail: string;
}

/**
 * Drive the machine until it stops: for the current step, check budgets, run the step, then
 * append its closing events with `step.finished` in one durable write, move the machine, and
 * persist state.json. A crash at any point leaves either the state before the step (the step
 * is repeated on resume) or a `step.finished` in the timeline that resume replays.
 */
export async function driveRun(rt: Runtime): Promise<LoopEnd> {
  const end = await driveSteps(rt);
  return branchMovedEnd(rt, end) ?? end;
}

/** The steps driven until the machine stops, or a step or a gate stops the run. Impure. */
async function driveSteps(rt: Runtime): Promise<LoopEnd> {
  const setup = await setUpWorkspace(rt);
  if (setup) return setup;
  for (;;) {
    const snap = rt.actor.getSnapshot();
    const ctx = snap.context as RunContext;
    if (snap.status === 'done') return machineStop(ctx);
    const step = rt.ir.steps.find((s) => s.id === snap.value)!;
    const fields = stepFields(step.id, ctx);
    const gate = gateStep(rt, step, ctx, fields);
    if (gate === 'skipped') continue;
    if (gate) return gate;
    const end = await runStep(rt, step, ctx, fields);
    if (end) return end;
  }
}

/**
 * Where the run ends, its branch once more against the commit it last wrote there: a process
 * a worker left running (no OS sandbox) can move it after the last step's check, and the
 * summary tells the user to merge that branch. A `governance.violation` outside any step and
 * the stop, or null. Not after a signal (the checkpoint it cut short may have moved the branch
 * without recording it: resume repeats the step) nor after a stop that already names a breach. Impure.
 */
export function branchMovedEnd(rt: Runtime, end: LoopEnd): LoopEnd | null {
  if (end.reason === 'interrupted' || end.reason === 'governance_violation' || end.reason === 'framework_fix_needed') return null;
  const moved = checkRunBranch(rt);
  if (!moved) return null;
  const none = { step: null, milestone: null, attempt: null };
  rt.append({ type: 'governance.violation', ...none, call: 'a process of the run after its last step', violations: [moved.violation], patch: null, stop_reason: 'governance_violation' });
  return { reason: 'governance_violation', detail: `${describeViolations([moved.violation]).join('; ')}; ${moved.detail}` };
}

/** The machine reached a final state: the stop it names. Pure. */
function machineStop(ctx: RunContext): LoopEnd {
  const stop = ctx.stop!;
  // A worker that stops the run itself (framework_fix_needed, blocked) says what it needs: quoted.
  const needs = stop.outcome && ctx.implement?.status === stop.outcome && ctx.implement.needs ? `; the worker needs: ${JSON.stringify(ctx.implement.needs)}` : '';
  return { reason: stop.reason, detail: `step ${stop.step} ended with ${stop.outcome || 'its else branch'}${needs}` };
}

/**
 * Before a step runs: a signal or a spent budget ends the run; a `when` guard that does not
 * hold skips the step (recorded, the machine moved on). Impure (appends, persists).
 */
function gateStep(rt: Runtime, step: IrStep, ctx: RunContext, fields: StepFields): LoopEnd | 'skipped' | null {
  if (rt.signal.aborted) return { reason: 'interrupted', detail: 'the engine received a signal to stop' };
  if (isWorkStep(step)) {
    const budget = checkBudgets(rt);
    if (budget) {
      rt.append({ type: 'budget.exhausted', ...fields, ...budget });
      return { reason: 'budget_exhausted', detail: `${budget.budget}: used ${budget.used} of ${budget.limit}` };
    }
  }
  if (!step.when) return null;
  const v = explainGuard(step.when, ctx, { policy: rt.policy, taskKind: rt.task.kind });
  if (v.ok) return null;
  rt.append({ type: 'step.skipped', ...fields, guard: step.when, reason: v.reason });
  advanceMachine(rt, { type: 'step.done', outcome: 'skipped', patch: {} });
  rt.persist();
  return 'skipped';
}

/** One step: started, executed, checked, closed. The run's end when the step stops it, else null. Impure. */
async function runStep(rt: Runtime, step: IrStep, ctx: RunContext, fields: StepFields): Promise<LoopEnd | null> {
  rt.append({ type: 'step.started', ...fields, kind: step.type });
  const elapsed = rt.env.timer();
  let result: StepResult;
  try {
    result = await EXECUTORS[step.type](step, rt, ctx);
  } finally {
    rt.state.counters.elapsed_ms = rt.elapsedBeforeMs + rt.sessionElapsed();
  }
  const durationMs = elapsed();

  // A signal ends the step's child, which then looks like a failed worker or a red
  // verification: neither is true. The step did not finish; resume repeats it.
  if (rt.signal.aborted) {
    const detail = `the engine received a signal to stop during step ${step.id}; resume repeats it`;
    rt.append({ type: 'step.stopped', ...fields, kind: step.type, stop_reason: 'interrupted', detail, duration_ms: durationMs });
    return { reason: 'interrupted', detail };
  }
  result = await checkResult(rt, step, ctx, fields, result);
  if ('stop' in result) {
    rt.append(...(result.events ?? []), { type: 'step.stopped', ...fields, kind: step.type, stop_reason: result.stop, detail: result.detail, duration_ms: durationMs });
    return { reason: result.stop, detail: result.detail };
  }
  await finishStep(rt, step, fields, result, durationMs);
  return null;
}

/** Each runtime's rounds for the loop detector, brought up to date from the events appended since its last step. */
const loopRounds = new WeakMap<Runtime, LoopRounds>();

/** A step's result after governance (verify, command) and loop detection (worker): a stop when either says so. Impure. */
async function checkResult(rt: Runtime, step: IrStep, ctx: RunContext, fields: StepFields, result: StepResult): Promise<StepResult> {
  // Verification and command steps run code the worker wrote: what it changed is governed
  // like a worker call.
  // The snapshot the check takes is the step's recorded tree: one snapshot per step.
  if (!('stop' in result) && (step.type === 'verify' || step.type === 'command')) {
    const before = rt.state.workspace_tree;
    const g = await governStep(rt, step, ctx, logOf(result.events) ?? `step ${step.id}`, { tree: result.tree ?? true });
    if (!g.ok) result = { stop: g.stop, detail: g.detail, events: [...(result.events ?? []), g.event] };
    else if (g.tree !== null) {
      result = { ...result, tree: g.tree };
      if (step.type === 'verify' && 'outcome' in result) result = await withVerifyChanges(rt, result, before, g.tree);
    }
  }

  // A reviewer asking again for what it asked before, or an implementer leaving the tree it
  // left before, will not converge: stop early (docs/runs.md, "Loops").
  if (!('stop' in result) && step.type === 'worker') {
    let rounds = loopRounds.get(rt);
    if (!rounds) loopRounds.set(rt, (rounds = new LoopRounds()));
    const loop = detectLoop(rt.events, probeOf(step, fields, result, ctx.review), rounds);
    if (loop) result = { stop: 'review_loop', detail: describeLoop(loop), events: [...(result.events ?? []), loop] };
  }
  return result;
}

/** A step that finished: the machine moved, `step.finished` with the step's tree appended, state.json written. Impure. */
async function finishStep(rt: Runtime, step: IrStep, fields: StepFields, result: Extract<StepResult, { outcome: string }>, durationMs: number): Promise<void> {
  const unchanged = !isWorkStep(step) || (step.type === 'worker' && step.readOnly);
  const tree = result.tree ?? (unchanged ? rt.state.workspace_tree : await snapshotTree(rt.ws));
  // A step other than a verification that changed the workspace leaves a tree no verification
  // ran on: the milestone's verification is dropped, so auto-approve does not judge it green.
  const patch = step.type !== 'verify' && tree !== rt.state.workspace_tree ? { ...result.patch, verify: null } : result.patch;
  advanceMachine(rt, { type: 'step.done', outcome: result.outcome, patch });
  const next = String(rt.actor.getSnapshot().value);
  // A write grant the sandbox withheld as a process of this step started: the step ran without it.
  const withheld = takeWithheld(rt.sandbox).map((message) => ({ type: 'warning' as const, ...fields, code: 'sandbox_grant_withheld', message }));
  rt.append(...(result.events ?? []), ...withheld, {
    type: 'step.finished',
    ...fields,
    kind: step.type,
    outcome: result.outcome,
    next,
    duration_ms: durationMs,
    patch: patch as Record<string, unknown>,
    tree,
  });
  rt.state.workspace_tree = tree;
  // Only a checkpoint moves the run branch; the workspace's own git HEAD is never read.
  if (result.head) {
    rt.state.head_sha = result.head.sha;
    rt.headTree = result.head.tree;
  }
  // Only a work step's end is worth waiting for the disk: routing is repeated after a crash.
  rt.persist(isWorkStep(step));
  collectWhenGrown();
}

/** The log a verification or command step wrote (run-directory relative), if any. Pure. */
function logOf(events: StepResult['events']): string | null {
  for (const e of events ?? []) if ((e.type === 'verify.finished' || e.type === 'command.finished') && e.log) return e.log;
  return null;
}

/** Send a step.done event to the machine. */
export function advanceMachine(rt: Runtime, event: StepDoneEvent): void {
  rt.actor.send(event);
}

/** The first budget that is spent, or null. Pure apart from reading the clock. */
function checkBudgets(rt: Runtime): { budget: string; used: number; limit: number } | null {
  const b = rt.state.budgets;
  const { ticks, cost_usd: spent } = runningCounters(rt.events, 0);
  if (ticks >= b.max_ticks) return { budget: 'max_ticks', used: ticks, limit: b.max_ticks };
  const elapsedMin = (rt.elapsedBeforeMs + rt.sessionElapsed()) / 60000;
  if (elapsedMin >= b.time_min) return { budget: 'time_min', used: Math.round(elapsedMin * 100) / 100, limit: b.time_min };
  const cost = rt.policy.budgets.cost_usd;
  if (cost !== null && spent > cost) return { budget: 'cost_usd', used: spent, limit: cost };
  return null;
}
