import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../vocabulary/diagnostics.js';
import { hasErrors } from '../vocabulary/diagnostics.js';
import { loadPipeline } from '../config/index.js';
import { resolvePolicy } from '../config/policy/resolve-policy.js';
import { compilePipeline } from '../compile/compile.js';
import type { RunState } from '../generated/state.js';
import type { TimelineEvent } from '../generated/event.js';
import type { NewEvent } from '../store/timeline.js';
import { checkTimeline } from './check-timeline.js';
import { describeConfigChanges, prepareResumeConfig, type ResumeConfig } from './resume-config.js';
import { cleanHalfMadeRun, isHalfMadeRun } from './create-run-dir.js';
import { writeFileAtomic, toRecordJson } from '../store/atomic.js';
import { renderMemo, renderSummary } from './summary.js';
import { endGroup, groupAlive } from '../proc/spawn-group.js';
import { treeHash } from '../git/repo.js';
import { snapshotTree } from '../git/snapshot.js';
import { restoreWorkspace } from '../git/restore.js';
import { reopenWorkspace, resetEngineGitDir, workspaceTarget } from '../git/workspace.js';
import { resolveGitIdentity } from '../git/identity.js';
import { listChangedFilesBetween } from '../git/tree-diff.js';
import type { RunEnv } from './clock.js';
import { defaultStoreDir, runPaths } from '../vocabulary/run-layout.js';
import { openRuntime } from './open-runtime.js';
import { advanceMachine, driveRun } from './loop.js';
import { finishRun, type RunOutcome } from './finish-run.js';
import { fingerprint, versionsOf } from './start-run.js';
import { fingerprintWorkers, gatherWorkerFacts } from '../doctor/check-workers.js';
import { startScenarioModel } from './scenario-model.js';
import { acquireRunLock, RunLockedError } from '../store/run-lock.js';
import type { RunPolicy } from './types.js';
import type { ContextPatch } from '../vocabulary/run-context.js';
import type { StopReason } from '../vocabulary/stop-reasons.js';
import { scrubWorkerHomes } from './scrub-homes.js';

export interface ResumeRunOptions {
  run: string;
  repo?: string;
  storeDir?: string;
  policyFiles: string[];
  sets: string[];
  maxTicks?: number;
  timeMin?: number;
  force: boolean;
  /** Take the repo's current pipeline, policy and templates instead of the run's snapshot. */
  reloadConfig?: boolean;
  /** Text for the user beside the events (stderr): the config diff. */
  warn?: (text: string) => void;
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
 * restores the workspace to the last persisted state before repeating an interrupted step,
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
  if (isHalfMadeRun(dir)) {
    // Killed while it was being made, before its state.json: nothing ran; it is removed.
    const cleaned = await cleanHalfMadeRun(dir);
    if (cleaned.kind === 'busy') return refuse(`run ${path.basename(dir)} is being created by engine process ${cleaned.pid}; wait for it`, dir);
    return refuse(`run ${path.basename(dir)} was stopped while it was being created, before its first step, so there is nothing to resume; removed what it had made (${cleaned.removed.join(', ')}); start it again with engine run`, dir);
  }
  let state: RunState;
  try {
    state = JSON.parse(readFileSync(paths.state, 'utf8')) as RunState;
  } catch (error) {
    return refuse(`state.json cannot be read (${(error as Error).message}); the engine will not resume this run`, paths.state);
  }
  if (state.status === 'completed') return refuse(`run ${state.run_id} already completed; nothing to resume`);
  let lock: { release(): void };
  try {
    lock = acquireRunLock(paths.lock);
  } catch (error) {
    if (!(error instanceof RunLockedError)) throw error;
    return refuse(`run ${state.run_id} is still being driven (${error.message}); let it stop, or stop it (Ctrl-C / SIGTERM), then resume`, paths.lock);
  }
  try {
    // Resume trusts nothing the engine did not write: the timeline must agree with state.json.
    const checked = checkTimeline(readFileSync(paths.timeline), state);
    if (!checked.ok) {
      return { kind: 'rejected', exitCode: 2, diagnostics: [{ code: 'E_RESUME', severity: 'error', message: `${checked.message}; the engine will not resume from a timeline it did not write (run ${state.run_id})`, file: paths.timeline, line: checked.line, col: 1 }] };
    }
    const events = checked.events;
    const finished = events.find((e) => e.seq > state.last_seq && e.type === 'run.finished');
    if (state.status === 'stopped' && state.stop_reason === 'doctor_blocked') {
      return refuse(`run ${state.run_id} stopped doctor_blocked before its first step; fix what \`engine doctor\` reports and start a new run (see memo.md)`);
    }
    if (state.status === 'stopped' && state.stop_reason && !repeatable(state)) {
      return refuse(`run ${state.run_id} ended with ${state.stop_reason} at a stop of its pipeline; start a new run (see memo.md)`);
    }

    // The config the run started with (config/), never the repo's current files, unless
    // --reload-config; what differs is shown either way.
    const config = prepareResumeConfig({ runDir: dir, repo: state.repo, cwd: o.cwd, statePipelinePath: state.pipeline.path, statePolicyFiles: state.policy.files, policyFiles: o.policyFiles, sets: o.sets, reload: o.reloadConfig ?? false });
    if ('error' in config) return refuse(config.error, config.file);
    const pipelineFile = config.pipelineOrigin;
    const pipeline = await loadPipeline(config.pipelineFile);
    if (!pipeline.data || hasErrors(pipeline.diagnostics)) return { kind: 'rejected', exitCode: 2, diagnostics: pipeline.diagnostics };
    const ir = compilePipeline(pipeline.data);
    const policyFiles = o.policyFiles.length ? o.policyFiles : state.policy.files;
    const sets = config.sets;
    const policy = await resolvePolicy({ repo: state.repo, defaultFile: config.defaultFile, userFile: config.userFile, repoFile: config.repoFile, files: config.policyFiles, sets, cwd: o.cwd });
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
      // A pipeline taken with --reload-config is shown as a diff, not refused as a new fingerprint.
      const changed = fingerprintChanges(oldPrint, newPrint).filter((k) => !(k === 'pipeline_hash' && config.reloaded));
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
      if (!existsSync(state.workspace)) return refuse(`the run's workspace ${state.workspace} is gone (removed by \`engine clean\` or by hand); start a new run`);
      const ws = await reopenWorkspace({ dir: state.workspace, repoTop: state.repo, branch: state.branch, shared: state.shared ?? [] });
      // The engine's git dir is the engine's: whatever anybody put there, it starts clean.
      resetEngineGitDir(ws);
      const target = workspaceTarget(ws);
      let identity;
      try {
        identity = await resolveGitIdentity(ws.repo, rp.git.author);
      } catch (error) {
        return refuse((error as Error).message, 'git.author');
      }
      if (config.reloaded && oldPrint.pipeline_hash !== newPrint.pipeline_hash) writeFileAtomic(paths.env, toRecordJson({ ...oldPrint, pipeline_hash: newPrint.pipeline_hash }));
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
        ws,
        headTree: state.head_sha === null ? null : await treeHash(target, state.head_sha),
        identity,
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
        rt.state.workspace_tree = done.tree;
        // A checkpoint that reached the timeline moved the branch: its commit is the head now.
        const cp = tail.find((e) => e.type === 'checkpoint.created' && e.step === done.step);
        if (cp && cp.type === 'checkpoint.created') {
          rt.state.head_sha = cp.sha;
          rt.headTree = cp.tree;
        }
      } else {
        // 3. Otherwise the workspace goes back to the last persisted state; a change nobody
        // recorded (no step was running) is a hand edit.
        const lastStepEvent = [...events].reverse().find((e) => e.type === 'step.started' || e.type === 'step.finished' || e.type === 'step.skipped' || e.type === 'step.stopped');
        // A governance stop left the workspace as persisted (rolled back, or a checkpoint that
        // committed nothing): a difference now is a hand edit. Any other stop inside a step
        // may have left the step's own partial change, which is put back without asking.
        const governed = lastStepEvent?.type === 'step.stopped' && (lastStepEvent.stop_reason === 'governance_violation' || lastStepEvent.stop_reason === 'framework_fix_needed');
        const interrupted = lastStepEvent?.type === 'step.started' || (lastStepEvent?.type === 'step.stopped' && !governed);
        const current = await snapshotTree(ws);
        if (!interrupted && state.workspace_tree && current !== state.workspace_tree) {
          handEdits = await listChangedFilesBetween(target, state.workspace_tree, current);
          if (!o.force) return refuse(`the workspace was changed by hand since the run stopped: ${handEdits.join(', ')}; resume with --force to discard those changes`, state.workspace);
        }
        if (interrupted || governed) repeated = state.position.step;
        if (current !== state.workspace_tree) {
          await restoreWorkspace(ws, state.workspace_tree);
          restored = state.workspace_tree;
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
        config_reloaded: config.reloaded,
        config_changes: config.changes.map((c) => ({ file: `config/${c.file}`, origin: c.origin, change: c.change, diff: c.diff })),
      }, ...configWarnings(config));
      rt.records.push(...config.commit(rt.scrub));
      if (config.changes.length) o.warn?.(rt.scrub(describeConfigChanges(config.changes, config.reloaded, dir)));
      scrubWorkerHomes(rt); // what a killed session's worker left in its home
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

/** The `warning` events of a resume's config: changes ignored, or no snapshot. Pure. */
function configWarnings(config: ResumeConfig): NewEvent[] {
  const out: NewEvent[] = [];
  const at = { step: null, milestone: null, attempt: null };
  if (config.note) out.push({ type: 'warning', ...at, message: config.note });
  if (config.changes.length && !config.reloaded) {
    out.push({ type: 'warning', ...at, message: `config changed since the run started, ignored (resume with --reload-config to take it): ${config.changes.map((c) => `${c.origin} (${c.change})`).join(', ')}` });
  }
  return out;
}

function recordFinished(paths: ReturnType<typeof runPaths>, state: RunState, events: TimelineEvent[], e: Extract<TimelineEvent, { type: 'run.finished' }>, policy: RunPolicy): RunOutcome {
  state.status = e.status;
  state.stop_reason = e.stop_reason;
  state.stop_detail = e.detail;
  state.kpis = e.kpis;
  state.inflight = null;
  state.last_seq = events[events.length - 1]!.seq;
  writeFileAtomic(paths.state, toRecordJson(state));
  writeFileAtomic(paths.summary, renderSummary(state, events, policy.kpi_targets));
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
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(o.run)) return null;
  const dir = path.join(store, o.run);
  // A run directory without state.json is a run killed while it was being made.
  return existsSync(path.join(dir, 'state.json')) || isHalfMadeRun(dir) ? dir : null;
}

/** Fingerprint keys whose values differ. Pure. */
export function fingerprintChanges(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = ['os', 'node', 'engine_version', 'contract_version', 'pipeline_hash', 'workers'];
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

