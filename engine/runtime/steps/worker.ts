import path from 'node:path';
import type { IrStep, WorkerPhase } from '../../compile/ir.js';
import type { NewEvent } from '../../store/timeline.js';
import type { ContextPatch, PlannedMilestone, RunContext } from '../../vocabulary/run-context.js';
import { stepFields, type Runtime, type StepResult } from '../types.js';
import { callWorker, type WorkerCallOutcome } from './call-worker.js';
import { measureChanges } from './measure-changes.js';
import type { Usage } from '../../workers/types.js';
import { runningCounters } from '../counters.js';
import { governStep, snapshotEarly } from '../govern-call.js';
import { grantsKeepOut } from '../../sandbox/wrap-command.js';
import { checkPlannedPaths } from '../../governance/check-plan.js';
import { describeViolations, type Violation } from '../../governance/check-changes.js';
import { checkClaims } from './check-claims.js';
import { parseDecision } from '../../kpi/decide.js';
import { doctorCommand } from '../doctor-command.js';
import { hasStructuredOutput } from '../../workers/builtin-workers.js';
import { withKpiDecisions } from './call-worker.js';
import { PromptTemplateError } from '../../workers/render-prompt.js';
import { addSaneUsage } from '../../workers/sane-numbers.js';
import { resetWorkerGitDir } from '../../git/worker-git-dir.js';

/** How the detail of a framework_fix_needed stop for a protocol mismatch begins. */
export const PROTOCOL_MISMATCH = 'protocol mismatch';

/**
 * Call a step's worker in its phase; on a missing or invalid markers block send repair
 * prompts in the same session until `budgets.parse_retries` is spent (→ parse_failed).
 * A worker that fails is a worker failure (→ worker_failed), never a parse failure. After
 * every call the change is checked against governance (govern-call.ts), which may stop the
 * run. The outcome is read from the markers: implement's status, review's verdict, `ok`
 * otherwise.
 */
export async function runWorkerStep(step: IrStep, rt: Runtime, ctx: RunContext): Promise<StepResult> {
  const fields = stepFields(step.id, ctx);
  const phase = step.phase as WorkerPhase;
  const events: NewEvent[] = [];
  let repairOf: WorkerPhase | null = null;
  let sessionId: string | null = null;
  let sessionUsage: Usage | null = null;
  let lastError = '';
  let tree: string | null = null;
  const unknownTypes = new Set<string>();
  // The reviewer looks with git in its workspace: git there shows the change since the last checkpoint.
  const unreset = phase === 'review' ? await resetWorkerGitDir(rt.ws, rt.state.head_sha, ctx.changes?.new_paths ?? []) : null;
  if (unreset) rt.append({ type: 'warning', ...fields, message: `the reviewer's git was not put back to the last checkpoint (${unreset}): it shows what the implementer left there` });
  for (let round = 0; round <= rt.policy.budgets.parse_retries; round++) {
    const limit = rt.policy.budgets.worker_calls_per_milestone;
    const calls = runningCounters(rt.events, ctx.milestone).milestone_worker_calls;
    if (ctx.milestone > 0 && calls >= limit) {
      rt.append({ type: 'budget.exhausted', ...fields, budget: 'worker_calls_per_milestone', used: calls, limit });
      return { stop: 'budget_exhausted', detail: `worker_calls_per_milestone: ${limit} calls in milestone ${ctx.milestone}`, events };
    }
    // A step that can write snapshots the workspace as soon as the call's processes are gone,
    // while the call's records are written (git's time and the engine's overlap).
    const early: { tree: Promise<string | Error> | null } = { tree: null };
    const onExit = step.readOnly ? {} : { onExit: () => void (early.tree = snapshotEarly(rt)) };
    let call: WorkerCallOutcome;
    let taken: string | Error | null;
    try {
      call = await callWorker(rt, step, ctx, { repairOf, sessionId, sessionUsage, previousError: lastError, ...onExit });
    } catch (error) {
      if (!(error instanceof PromptTemplateError)) throw error;
      return { stop: 'worker_failed', detail: `${step.worker}: ${error.message}; mend the template, then resume with --reload-config`, events };
    } finally {
      // Settled before anything else uses the engine's index, also when recording the call
      // failed; a failed snapshot is taken again below.
      taken = early.tree === null ? null : await early.tree;
    }
    // Whatever the call's outcome: a failed worker may have written where it must not too.
    // Interrupted (possibly by the worker itself), the records are still checked; the tree
    // is put back by resume anyway.
    const g = await governStep(rt, step, ctx, call.callRel, { tree: rt.signal.aborted ? false : (sealedTree(rt, step, call) ?? (typeof taken === 'string' ? taken : true)) });
    if (!g.ok) return { stop: g.stop, detail: g.detail, events: [...events, g.event] };
    tree = g.tree;
    if (call.outcome !== 'ok') {
      return { stop: 'worker_failed', detail: `${step.worker} (${call.callRel}): ${call.error ?? call.outcome}` };
    }
    if (call.markers !== null) return finish(step, rt, ctx, phase, call.markers, events, call, tree);
    for (const t of Object.keys(call.unknownEventTypes ?? {})) unknownTypes.add(t);
    lastError = call.markersError ?? 'no markers block';
    sessionUsage = call.sessionId && call.sessionId === sessionId ? (call.usage ? addSaneUsage(sessionUsage, call.usage) : sessionUsage) : call.usage;
    sessionId = call.sessionId;
    repairOf = phase;
    // Parse failures over their target switch the worker to native structured output, or
    // stop the step for `engine doctor --live` (docs/kpis.md). Decided with this failure
    // counted, before it is written, so that the failure says how many repairs will follow.
    const spec = withKpiDecisions(rt.ir.workers[step.worker!]!, step.worker!, rt.events);
    const run = runningCounters(rt.events, 0);
    const d = parseDecision({ parse_failures: run.parse_failures + 1, worker_calls: run.worker_calls }, { name: step.worker!, use: spec.use, structured: spec.structured_output === true, nativeStructured: hasStructuredOutput(spec.use) }, rt.policy.kpi_targets, doctorCommand(rt.state, '--live'));
    const retriesLeft = d?.decision === 'doctor_live' ? 0 : rt.policy.budgets.parse_retries - round;
    rt.append({ type: 'parse.failed', ...fields, call: call.callRel, error: lastError, retries_left: retriesLeft });
    if (d) rt.append({ type: 'kpi.decision', ...fields, ...d, worker: step.worker! });
    if (d?.decision === 'doctor_live') return { stop: 'parse_failed', detail: `${step.worker} gave no valid markers block (${lastError}); ${d.detail}`, events };
  }
  const failed = `${step.worker} gave no valid markers block after ${rt.policy.budgets.parse_retries} repair(s): ${lastError}`;
  // Output the parser does not understand and no answer it can read: the CLI's protocol moved
  // away from the one the engine speaks, which is the engine's to fix (docs/governance.md).
  if (unknownTypes.size) return { stop: 'framework_fix_needed', detail: `${PROTOCOL_MISMATCH}: ${step.worker} printed event types the engine's parser does not know (${[...unknownTypes].sort().join(', ')}); ${failed}`, events };
  return { stop: 'parse_failed', detail: failed, events };
}

async function finish(step: IrStep, rt: Runtime, ctx: RunContext, phase: WorkerPhase, markers: Record<string, unknown>, events: NewEvent[], call: WorkerCallOutcome, tree: string | null): Promise<StepResult> {
  const callRel = call.callRel;
  const fields = stepFields(step.id, ctx);
  const patch: ContextPatch = {};
  let outcome = 'ok';
  switch (phase) {
    case 'explore':
      patch.explore = markers as NonNullable<RunContext['explore']>;
      break;
    case 'plan': {
      // A plan that sends workers where none may write is refused before anyone writes.
      const g = rt.policy.governance;
      const planned = (markers.milestones as PlannedMilestone[]).flatMap((m) => m.files_expected);
      const refused = checkPlannedPaths(planned, { allowedRoots: g.allowed_roots, taskRoots: rt.task.allowedRoots, protected: g.protected });
      if (refused.length > 0) {
        const event: NewEvent = { type: 'governance.violation', ...fields, call: callRel, violations: refused as [Violation, ...Violation[]], patch: null, stop_reason: 'governance_violation' };
        return { stop: 'governance_violation', detail: `${step.worker} (${callRel}) planned paths no worker may change: ${describeViolations(refused).join('; ')}`, events: [...events, event] };
      }
      const milestones = (markers.milestones as PlannedMilestone[]).map((m) => ({
        id: m.id,
        goal: m.goal,
        files_expected: m.files_expected.map(normalizePath),
        done_checks: m.done_checks,
        risk_level: m.risk_level,
      }));
      patch.milestones = milestones;
      events.push({ type: 'plan.accepted', ...fields, milestones: milestones.map((m) => ({ id: m.id, goal: m.goal, files_expected: m.files_expected })) });
      rt.state.milestones = milestones;
      break;
    }
    case 'implement':
      outcome = String(markers.status);
      patch.implement = { status: outcome, summary: String(markers.summary), files_changed: markers.files_changed as string[], needs: (markers.needs as string | null) ?? null };
      break;
    case 'review':
      outcome = String(markers.verdict);
      patch.review = { verdict: outcome, changes: markers.changes as string[] };
      break;
  }
  if (step.readOnly) return { outcome, patch, events };
  const measured = await measureChanges(rt, tree);
  // A worker that reports changes the workspace does not have failed (e.g. its writes were refused).
  const unbacked = checkClaims({ filesChanged: phase === 'implement' ? (markers.files_changed as string[]) : null, streamPaths: call.fileChanges, changed: measured.changes.paths, workspace: rt.state.workspace, stderr: call.stderr });
  if (unbacked) return { stop: 'worker_failed', detail: `${step.worker} (${call.callRel}): ${unbacked}`, events };
  patch.changes = measured.changes;
  return { outcome, patch, events, tree: measured.tree };
}

/**
 * The workspace's tree when this call cannot have changed it, else null (take a snapshot): a
 * read-only step whose processes ran under the OS sandbox, none of whose write grants reaches
 * the workspace or the engine's git dir of it. The workspace was a read-only mount for them,
 * and the sandbox ended every one of them with the call. Impure (resolves links).
 */
function sealedTree(rt: Runtime, step: IrStep, call: WorkerCallOutcome): string | null {
  if (!step.readOnly || rt.state.workspace_tree === null) return null;
  return grantsKeepOut(call.writes, [rt.ws.dir, rt.ws.gitDir]) ? rt.state.workspace_tree : null;
}

/** Repo-relative, forward slashes, no leading `./`. Pure. */
export function normalizePath(p: string): string {
  return path.posix.normalize(p.replace(/\\/g, '/')).replace(/^\.\//, '').replace(/^\/+/, '');
}
