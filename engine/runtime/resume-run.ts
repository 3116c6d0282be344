import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../config/diagnostics.js';
import { hasErrors } from '../config/diagnostics.js';
import { loadPipeline } from '../config/index.js';
import { resolvePolicy } from '../config/policy/resolve-policy.js';
import { compilePipeline } from '../compile/compile.js';
import type { RunState } from '../generated/state.js';
import type { TimelineEvent } from '../generated/event.js';
import { readTimeline } from '../store/timeline.js';
import { writeFileAtomic, toRecordJson } from '../store/atomic.js';
import { renderMemo, renderSummary } from './summary.js';
import type { KpiTargets } from '../kpi/targets.js';
import { endGroup, groupAlive } from '../proc/spawn-group.js';
import { headSha } from '../git/repo.js';
import { snapshotTree } from '../git/snapshot.js';
import { listChangedFilesBetween } from './tree-diff.js';
import type { RunEnv } from './clock.js';
import { defaultStoreDir, runPaths } from './run-dir.js';
import { openRuntime } from './open-runtime.js';
import { advanceMachine, driveRun } from './loop.js';
import { finishRun, type RunOutcome } from './finish-run.js';
import { fingerprint, versionsOf } from './start-run.js';
import { fingerprintWorkers, gatherWorkerFacts } from '../doctor/check-workers.js';
import { restoreWorktreeState } from './restore-tree.js';
import { startScenarioModel } from './scenario-model.js';
import { acquireRunLock } from './run-lock.js';
import type { RunPolicy } from './types.js';
import type { ContextPatch } from './context.js';
import type { StopReason } from './stop-reasons.js';

export interface ResumeRunOptions {
  run: string;
  repo?: string;
  storeDir?: string;
  policyFiles: string[];
  sets: string[];
  maxTicks?: number;
  timeMin?: number;
  force: boolean;
  cwd: string;
  env: RunEnv;
  processEnv: NodeJS.ProcessEnv;
  signal: AbortSignal;
  onEvent?: (e: TimelineEvent) => void;
}

export type ResumeResult = { kind: 'rejected'; diagnostics: Diagnostic[]; exitCode: number } | ({ kind: 'finished' } & RunOutcome);

/**
 * `engine resume`: continue a run from its last persisted state after any stop or crash.
 * Ends a worker group the dead engine left, replays a step whose `step.finished` reached the
 * timeline but not state.json, refuses hand edits and a changed fingerprint unless --force,
 * restores the worktree to the last persisted state before repeating an interrupted step,
 * and records all of it in `run.resumed`. Impure.
 */
export async function resumeRun(o: ResumeRunOptions): Promise<ResumeResult> {
  const refuse = (message: string, file = 'engine resume'): ResumeResult => ({
    kind: 'rejected',
    exitCode: 2,
    diagnostics: [{ code: 'E_RESUME', severity: 'error', message, file, line: 0, col: 0 }],
  });
  const dir = locateRun(o);
  if (!dir) return refuse(`no run "${o.run}" found (give a run id with --repo/--store, or the run directory)`);
  const paths = runPaths(dir);
  const state = JSON.parse(readFileSync(paths.state, 'utf8')) as RunState;
  if (state.status === 'completed') return refuse(`run ${state.run_id} already completed; nothing to resume`);
  const lock = acquireRunLock(paths.lock);
  try {
    const events = readTimeline(paths.timeline);
    const finished = events.find((e) => e.seq > state.last_seq && e.type === 'run.finished');
    if (state.status === 'stopped' && state.stop_reason === 'doctor_blocked') {
      return refuse(`run ${state.run_id} stopped doctor_blocked before its first step; fix what \`engine doctor\` reports and start a new run (see memo.md)`);
    }
    if (state.status === 'stopped' && state.stop_reason && !repeatable(state)) {
      return refuse(`run ${state.run_id} ended with ${state.stop_reason} at a stop of its pipeline; start a new run (see memo.md)`);
    }

    const pipelineFile = path.resolve(o.cwd, state.pipeline.path);
    const pipeline = await loadPipeline(existsSync(pipelineFile) ? pipelineFile : path.resolve(state.repo, state.pipeline.path));
    if (!pipeline.data || hasErrors(pipeline.diagnostics)) return { kind: 'rejected', exitCode: 2, diagnostics: pipeline.diagnostics };
    const ir = compilePipeline(pipeline.data);
    const policyFiles = o.policyFiles.length ? o.policyFiles : state.policy.files;
    const sets = [...state.policy.sets, ...o.sets];
    const policy = await resolvePolicy({ repo: state.repo, files: policyFiles, sets, cwd: o.cwd });
    if (!policy.policy || hasErrors(policy.diagnostics)) return { kind: 'rejected', exitCode: 2, diagnostics: policy.diagnostics };

    if (finished && finished.type === 'run.finished') {
      // The run ended but the engine died before state.json said so: record the end it reached.
      return { kind: 'finished', ...recordFinished(paths, state, events, finished, policy.policy as RunPolicy) };
    }

    const scenario = state.task.scenario;
    const model = scenario ? await startScenarioModel(scenario, dir) : null;
    try {
      const oldPrint = JSON.parse(readFileSync(paths.env, 'utf8')) as Record<string, unknown>;
      const workers = fingerprintWorkers(await gatherWorkerFacts(ir, path.dirname(pipelineFile), o.processEnv, state.repo));
      const newPrint = fingerprint(ir, model?.origin ?? null, pipelineFile, workers);
      const changed = fingerprintChanges(oldPrint, newPrint);
      if (changed.length && !o.force) return refuse(`the environment changed since the run started (${changed.join(', ')}); resume with --force to accept it`);

      // 1. A worker group the dead engine left running goes first.
      let killedPgid: number | null = null;
      if (state.inflight && groupAlive(state.inflight.pgid)) {
        await endGroup(state.inflight.pgid);
        killedPgid = state.inflight.pgid;
      }
      closeInterruptedCalls(paths.dir, events, state.inflight);
      state.inflight = null;

      const tail = events.filter((e) => e.seq > state.last_seq);
      const rp = policy.policy as RunPolicy;
      state.budgets = {
        max_ticks: o.maxTicks !== undefined ? state.counters.ticks + o.maxTicks : Math.max(state.budgets.max_ticks, rp.budgets.max_ticks),
        time_min: o.timeMin !== undefined ? state.counters.elapsed_ms / 60000 + o.timeMin : Math.max(state.budgets.time_min, rp.budgets.time_min),
      };
      const rt = openRuntime({
        ir,
        pipelineDir: path.dirname(pipelineFile),
        policy: rp,
        task: { goal: state.task.goal, kind: state.task.kind, file: state.task.file, scenario: state.task.scenario, allowedRoots: state.task.allowed_roots ?? null },
        repo: state.repo,
        paths,
        state,
        env: o.env,
        childEnv: { ...o.processEnv },
        modelEndpoint: model?.origin ?? null,
        signal: o.signal,
        onEvent: o.onEvent,
      });
      rt.cliVersions = versionsOf(newPrint);
      if (rt.sandbox.blocked) return refuse(`${rt.sandbox.warning}; install bubblewrap or resume with --set sandbox.mode=auto`);

      // 2. A step that finished durably but whose state was not yet written is replayed.
      const done = tail.find((e) => e.type === 'step.finished' && e.step === state.position.step);
      let repeated: string | null = null;
      let restored: string | null = null;
      let handEdits: string[] = [];
      if (done && done.type === 'step.finished') {
        advanceMachine(rt, { type: 'step.done', outcome: done.outcome, patch: done.patch as ContextPatch });
        rt.state.worktree_tree = done.tree;
        rt.state.head_sha = await headSha(state.worktree);
      } else {
        // 3. Otherwise the worktree goes back to the last persisted state; a change nobody
        // recorded (no step was running) is a hand edit.
        const lastStepEvent = [...events].reverse().find((e) => e.type === 'step.started' || e.type === 'step.finished' || e.type === 'step.skipped' || e.type === 'step.stopped');
        // A governance stop left the worktree as persisted (rolled back, or a checkpoint that
        // committed nothing): a difference now is a hand edit. Any other stop inside a step
        // may have left the step's own partial change, which is put back without asking.
        const governed = lastStepEvent?.type === 'step.stopped' && (lastStepEvent.stop_reason === 'governance_violation' || lastStepEvent.stop_reason === 'framework_fix_needed');
        const interrupted = lastStepEvent?.type === 'step.started' || (lastStepEvent?.type === 'step.stopped' && !governed);
        const current = await snapshotTree(state.worktree);
        if (!interrupted && state.worktree_tree && current !== state.worktree_tree) {
          handEdits = await listChangedFilesBetween(state.worktree, state.worktree_tree, current);
          if (!o.force) return refuse(`the worktree was changed by hand since the run stopped: ${handEdits.join(', ')}; resume with --force to discard those changes`, state.worktree);
        }
        if (interrupted || governed) repeated = state.position.step;
        if (current !== state.worktree_tree || (await headSha(state.worktree)) !== state.head_sha) {
          await restoreWorktreeState(state.worktree, state.head_sha, state.worktree_tree);
          restored = state.worktree_tree;
        }
      }
      rt.state.counters.sessions++;
      rt.state.status = 'running';
      rt.state.stop_reason = null;
      rt.state.stop_detail = null;
      const checkpoint = [...rt.events].reverse().find((e) => e.type === 'checkpoint.created');
      rt.append({
        type: 'run.resumed',
        step: rt.state.position.step,
        milestone: rt.state.position.milestone,
        attempt: rt.state.position.attempt,
        from_seq: events.length ? events[events.length - 1]!.seq : 0,
        checkpoint: checkpoint && checkpoint.type === 'checkpoint.created' ? checkpoint.sha : null,
        restored_tree: restored,
        repeated_step: repeated,
        forced: o.force,
        hand_edits: handEdits,
        policy_hash: policy.hash,
        policy_changed: policy.hash !== state.policy.hash,
        max_ticks: rt.state.budgets.max_ticks,
        time_min: Math.round(rt.state.budgets.time_min * 1000) / 1000,
        killed_pgid: killedPgid,
      });
      rt.state.policy = { hash: policy.hash, files: policyFiles, sets };
      rt.persist();
      const end = await driveRun(rt);
      return { kind: 'finished', ...finishRun(rt, end) };
    } finally {
      await model?.close();
    }
  } finally {
    lock.release();
  }
}

function recordFinished(paths: ReturnType<typeof runPaths>, state: RunState, events: TimelineEvent[], e: Extract<TimelineEvent, { type: 'run.finished' }>, policy: RunPolicy): RunOutcome {
  state.status = e.status;
  state.stop_reason = e.stop_reason;
  state.stop_detail = e.detail;
  state.kpis = e.kpis;
  state.inflight = null;
  state.last_seq = events[events.length - 1]!.seq;
  writeFileAtomic(paths.state, toRecordJson(state));
  writeFileAtomic(paths.summary, renderSummary(state, events, policy.kpi_targets as unknown as KpiTargets));
  if (e.status === 'stopped') writeFileAtomic(paths.memo, renderMemo(state, events, `engine resume ${state.run_id} --repo ${JSON.stringify(state.repo)}`));
  return { runId: state.run_id, runDir: paths.dir, status: e.status, stopReason: e.stop_reason as StopReason, exitCode: e.exit_code, detail: e.detail };
}

/**
 * A call the dead engine never finished keeps what it captured; its meta.json says it was
 * interrupted, so every call directory is self-describing. Impure (writes meta.json).
 */
function closeInterruptedCalls(runDir: string, events: TimelineEvent[], inflight: RunState['inflight']): void {
  const finished = new Set(events.filter((e) => e.type === 'worker.finished').map((e) => (e as { call: string }).call));
  for (const e of events) {
    if (e.type !== 'worker.started' || finished.has(e.call)) continue;
    const meta = path.join(runDir, e.call, 'meta.json');
    if (existsSync(meta)) continue;
    const pid = inflight && inflight.call === e.call ? inflight.pid : null;
    writeFileAtomic(meta, toRecordJson({ schema_version: 1, worker: e.worker, plugin: e.plugin, phase: e.phase, pid, outcome: 'incomplete', error: 'the engine stopped during this call; it was repeated on resume' }));
  }
}

function repeatable(state: RunState): boolean {
  return state.position.step !== null;
}

function locateRun(o: ResumeRunOptions): string | null {
  const direct = path.resolve(o.cwd, o.run);
  if (existsSync(path.join(direct, 'state.json'))) return direct;
  const store = o.storeDir ? path.resolve(o.cwd, o.storeDir) : defaultStoreDir(path.resolve(o.cwd, o.repo ?? '.'));
  const dir = path.join(store, o.run);
  return existsSync(path.join(dir, 'state.json')) ? dir : null;
}

/** Fingerprint keys whose values differ. Pure. */
export function fingerprintChanges(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = ['os', 'node', 'engine_version', 'contract_version', 'pipeline_hash', 'workers'];
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

