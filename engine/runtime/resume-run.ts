import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { canResume } from '../store/can-resume.js';
import { engineVersion, schemaVersion } from '../version.js';
import path from 'node:path';
import { readRunRecordJson } from '../util/read-run-record.js';
import { kindOfPath } from '../util/kind-of-path.js';
import { isOwnRecordFile } from '../util/own-names.js';
import type { RunState } from '../generated/state.js';
import type { TimelineEvent } from '../generated/event.js';
import { readTimelineBytes, type NewEvent } from '../store/timeline.js';
import { checkTimeline } from './check-timeline.js';
import { checkRunPlaces } from './check-run-places.js';
import { checkRunMachine } from './check-run-machine.js';
import { checkBranchInTheWay, checkRunCommits, checkRunRepo } from './check-run-repo.js';
import { describeConfigChanges, type ResumeConfig } from './resume-config.js';
import { cleanHalfMadeRun, isHalfMadeRun } from './create-run-dir.js';
import { writeFileAtomic, toRecordJson } from '../store/atomic.js';
import { fileRecord } from '../store/run-records.js';
import { renderMemo, renderSummary, resumeCommandOf } from './summary.js';
import { endGroup, groupAlive, listGroupMembers } from '../proc/spawn-group.js';
import { loadValidator } from '../config/validators.js';
import { isWithin } from '../util/is-within.js';
import { resolveLinks } from '../util/resolve-links.js';
import { repoTarget, treeHash } from '../git/repo.js';
import { snapshotTree } from '../git/snapshot.js';
import { restoreWorkspace } from '../git/restore.js';
import { claimEngineGitDir, EngineGitDirError, removalBegun, reopenWorkspace, resetEngineGitDir, workspaceHomesOf, workspaceTarget } from '../git/workspace.js';
import { diffTreeEntries } from '../git/changes.js';
import { defaultStoreDir, isRunId, runPaths, type RunPaths } from '../vocabulary/run-layout.js';
import { advanceMachine, driveRun } from './loop.js';
import { finishRun, type RunOutcome } from './finish-run.js';
import { fingerprint, fingerprintChanges, versionsOf, workerChanges } from './fingerprint.js';
import { fingerprintWorkers, gatherWorkerFacts } from '../doctor/check-workers.js';
import { readScenario, startScenarioModel } from './scenario-model.js';
import { acquireRunLock, RunLockedError } from '../store/run-lock.js';
import { checkRunBranch } from './check-run-branch.js';
import { assertBranchMovable } from '../git/branch-movable.js';
import { branchLockIn, locksInGitDir } from '../git/stale-locks.js';
import { EngineGitBlockedError } from '../git/blocked-git-dir.js';
import { clearStaleLocks } from './clear-stale-locks.js';
import type { Runtime, RunPolicy } from './types.js';
import type { ContextPatch } from '../vocabulary/run-context.js';
import type { StopReason } from '../vocabulary/stop-reasons.js';
import { keptPlaces } from './kept-places.js';
import { refusedWritable } from '../sandbox/check-writable.js';
import { refusedStateDirs, STATE_DIR_HINT } from './state-dirs.js';
import { scrubWorkerHomes } from './scrub-homes.js';
import { identityOf, isRejection, openPrepared, prepareRun, rejected, resumeRejection, type PreparedRun, type Rejection, type SessionOptions } from './prepare-run.js';
import { keepYoungGenerationSmall } from './heap.js';
import { repoTopOf } from '../util/repo-top.js';
import { engineCommand } from '../vocabulary/engine-command.js';
import { assertStoreDir } from '../store/check-store-dir.js';

export interface ResumeRunOptions extends SessionOptions {
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
  /** Told the run's id and directory once it is found, and whether it began (a run stopped while it was being made did not): a failure from then on names them. */
  onRun?: (runId: string, runDir: string, began: boolean) => void;
}

export type ResumeResult = Rejection | ({ kind: 'finished' } & RunOutcome);

/** A run found in the store, with the state.json it was left with. */
interface FoundRun {
  dir: string;
  paths: RunPaths;
  state: RunState;
}

/** A resumed run's config: what was prepared, with its snapshot (a resume always has one). */
type ResumePrepared = PreparedRun<{ repo: string }> & { snapshot: ResumeConfig };

/** env.json as the run recorded it, and the fingerprint of this session. */
interface Prints {
  old: Record<string, unknown>;
  now: ReturnType<typeof fingerprint>;
}

/** How the workspace was brought back to the run's last persisted state. */
interface Restored {
  repeated: string | null;
  restored: string | null;
  handEdits: string[];
}

const refuse = resumeRejection;

/** How long resume waits for a live process to let go of a git lock of the run's. */
const STALE_LOCK_WAIT_MS = 2000;

/**
 * `engine resume`: continue a run from its last persisted state after any stop or crash.
 * Ends a worker group the dead engine left, replays a step whose `step.finished` reached the
 * timeline but not state.json, refuses hand edits and a changed fingerprint unless --force,
 * restores the workspace to the last persisted state before repeating an interrupted step,
 * and records all of it in `run.resumed`. Impure.
 */
export async function resumeRun(o: ResumeRunOptions): Promise<ResumeResult> {
  keepYoungGenerationSmall();
  const run = await readRun(o);
  if (isRejection(run)) return run;
  const lock = lockRun(run);
  if (isRejection(lock)) return lock;
  try {
    return await resumeLocked(o, run);
  } finally {
    lock.release();
  }
}

/** The run, found and read; a half-made run is removed, a completed one refused. Impure. */
async function readRun(o: ResumeRunOptions): Promise<FoundRun | Rejection> {
  const dir = o.run === 'latest' ? await latestRun(o) : locateRun(o);
  if (!dir) return refuse(o.run === 'latest' ? `no run in ${storeOf(o)} to resume (give a run id with --repo/--store, or the run directory)` : `no run "${o.run}" found (give a run id with --repo/--store, or the run directory)`);
  const paths = runPaths(dir);
  const halfMade = isHalfMadeRun(dir);
  o.onRun?.(path.basename(dir), dir, !halfMade);
  if (halfMade) {
    // Killed while it was being made, before its state.json: nothing ran; it is removed.
    const cleaned = await cleanHalfMadeRun(dir);
    if (cleaned.kind === 'busy') return refuse(`run ${path.basename(dir)} is being created by engine process ${cleaned.pid}; wait for it`, dir);
    const kept = cleaned.kept.length ? `; kept ${cleaned.kept.join('; ')}` : '';
    return refuse(`run ${path.basename(dir)} was stopped while it was being created, before its first step, so there is nothing to resume; removed what it had made (${cleaned.removed.join(', ')})${kept}; start it again with ${engineCommand('run')}`, dir);
  }
  let state: RunState;
  try {
    state = readRunRecordJson(paths.state) as RunState;
  } catch (error) {
    return refuse(`state.json cannot be read (${(error as Error).message}); the engine will not resume this run`, paths.state);
  }
  // Without the OS sandbox a worker can rewrite it: a field of another shape is a refusal, never a crash further on.
  const problem = (await loadValidator('state'))?.validate(state)[0];
  if (problem) return refuse(`state.json is not a state the engine writes (${problem.instancePath || '/'} ${problem.message ?? problem.keyword}); the engine will not resume this run`, paths.state);
  // A format this engine does not know is a newer engine's: what it means cannot be read here.
  if (state.schema_version > schemaVersion) return refuse(`state.json is of format ${state.schema_version}, newer than this engine's (${schemaVersion}): it was written by engine ${state.engine_version}; resume it with that engine or a newer one`, paths.state);
  if (state.status === 'completed') return refuse(`run ${state.run_id} already completed; nothing to resume`);
  return { dir, paths, state };
}

/** The run's lock, or a refusal while another engine drives it. Impure. */
function lockRun(run: FoundRun): { release(): void } | Rejection {
  try {
    return acquireRunLock(run.paths.lock);
  } catch (error) {
    if (!(error instanceof RunLockedError)) throw error;
    return refuse(`run ${run.state.run_id} is still being driven (${error.message}); let it stop, or stop it (Ctrl-C / SIGTERM), then resume`, run.paths.lock);
  }
}

/** With the lock held: the timeline and config checked, a run that ended recorded, else continued. Impure. */
async function resumeLocked(o: ResumeRunOptions, run: FoundRun): Promise<ResumeResult> {
  const places = checkRunPlaces(run.state, run.dir);
  if (places) return refuse(`${places}; the engine will not resume a run whose state.json it did not write`, run.paths.state);
  const events = checkRunTimeline(run);
  if (isRejection(events)) return events;
  const state = run.state;
  const moved = await checkRunRepo(state);
  if (moved) return refuse(moved, state.repo);
  const config = { from: 'snapshot' as const, runDir: run.dir, state, policyFiles: o.policyFiles, sets: o.sets, reload: o.reloadConfig ?? false };
  const p = await prepareRun({ config, cwd: o.cwd, locate: async () => ({ repo: state.repo }), processEnv: o.processEnv });
  if (isRejection(p)) return p;
  // Before anything is written: a reloaded pipeline must still have the step the run stands at.
  const machine = checkRunMachine(state, p.ir);
  if (machine) return refuse(`${machine}; ${o.reloadConfig ? "resume without --reload-config to keep the run's own pipeline, or give the step back to the pipeline file" : 'the engine will not resume a run whose state.json it did not write'}`, o.reloadConfig ? p.pipelineFile : run.paths.state);
  const finished = events.find((e) => e.seq > state.last_seq && e.type === 'run.finished');
  if (finished && finished.type === 'run.finished') {
    // The run ended but the engine died before state.json said so: record the end it reached.
    return { kind: 'finished', ...recordFinished(run.paths, state, events, finished, p.policy) };
  }
  const read = state.task.scenario ? await readScenario(state.task.scenario) : null;
  if (read && 'diagnostics' in read) return rejected(read.diagnostics);
  const model = read && state.task.scenario ? await startScenarioModel(state.task.scenario, run.dir, read.scenario) : null;
  try {
    return await continueRun(o, run, events, p as ResumePrepared, model?.origin ?? null);
  } finally {
    await model?.close();
  }
}

/**
 * Resume trusts nothing the engine did not write: the timeline must agree with state.json,
 * and the run must have stopped where a step can be repeated. Impure (reads the timeline).
 */
function checkRunTimeline(run: FoundRun): TimelineEvent[] | Rejection {
  const { state, paths } = run;
  let bytes: Buffer;
  try {
    // Past what the engine writes, refused unread (checkTimeline says the same of what it reads).
    bytes = readTimelineBytes(paths.timeline);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EFBIG') return refuse(`run ${state.run_id}'s ${(error as Error).message}; the engine will not resume from a timeline it did not write`, paths.timeline);
    const why = code === 'ENOENT' ? 'it is missing' : code === 'ENOTREG' || code === 'EISDIR' ? 'it is no regular file' : (error as Error).message;
    return refuse(`run ${state.run_id}'s timeline.jsonl cannot be read (${why}); the engine will not resume a run without the timeline it wrote`, paths.timeline);
  }
  const checked = checkTimeline(bytes, state);
  if (!checked.ok) {
    return { kind: 'rejected', exitCode: 2, diagnostics: [{ code: 'E_RESUME', severity: 'error', message: `${checked.message}; the engine will not resume from a timeline it did not write (run ${state.run_id})`, file: paths.timeline, line: checked.line, col: 1 }] };
  }
  if (state.status === 'stopped' && state.stop_reason === 'doctor_blocked') {
    return refuse(`run ${state.run_id} stopped doctor_blocked before its first step; fix what \`${engineCommand('doctor')}\` reports and start a new run (see memo.md)`);
  }
  if (!canResume(state)) {
    return refuse(`run ${state.run_id} ended with ${state.stop_reason} at a stop of its pipeline; start a new run (see memo.md)`);
  }
  return checked.events;
}

/** The fingerprint compared, what the dead session left ended, the runtime reopened, the workspace restored; then driven. Impure. */
async function continueRun(o: ResumeRunOptions, run: FoundRun, events: TimelineEvent[], p: ResumePrepared, endpoint: string | null): Promise<ResumeResult> {
  const prints = await checkFingerprint(o, run, p, endpoint);
  if (isRejection(prints)) return prints;
  const killedPgid = await endDeadSession(run, events);
  const rt = await reopenRun(o, run, p, endpoint, prints).catch(refuseBlocked);
  if (isRejection(rt)) return rt;
  const restored = await restoreProgress(o, rt, events).catch(refuseBlocked);
  if (isRejection(restored)) return restored;
  const moved = branchMovedSinceStop(rt, restored);
  if (moved) return refuse(moved, rt.ws.repo.top);
  takePipelineHash(rt, p, prints);
  recordResumed(o, rt, run, p, events, restored, killedPgid);
  const end = await driveRun(rt);
  return { kind: 'finished', ...finishRun(rt, end) };
}

/**
 * The run's branch, moved since the run last wrote it, in words; null when it is where the run
 * left it. A checkpoint resume repeats is left to its own compare-and-swap: the engine that
 * drove it may have moved the branch before it could record the checkpoint. Impure.
 */
function branchMovedSinceStop(rt: Runtime, restored: Restored): string | null {
  if (restored.repeated !== null && rt.ir.steps.find((s) => s.id === restored.repeated)?.type === 'checkpoint') return null;
  return checkRunBranch(rt)?.detail ?? null;
}

/** The fingerprint now against env.json's; a change is refused unless --force. Impure (asks each worker's version). */
async function checkFingerprint(o: ResumeRunOptions, run: FoundRun, p: ResumePrepared, endpoint: string | null): Promise<Prints | Rejection> {
  let old: Record<string, unknown>;
  try {
    old = readRunRecordJson(run.paths.env) as Record<string, unknown>;
    if (old === null || typeof old !== 'object' || Array.isArray(old)) throw new Error('not a JSON object');
  } catch (error) {
    return refuse(`env.json cannot be read (${(error as Error).message}); the engine will not resume this run`, run.paths.env);
  }
  const now = fingerprint(p.ir, endpoint, p.pipelineFile, fingerprintWorkers(await gatherWorkerFacts(p.ir, p.pipelineDir, o.processEnv, run.state.repo)));
  // A pipeline taken with --reload-config is shown as a diff, not refused as a new fingerprint.
  const reloaded = p.snapshot.reloaded;
  const workers = workerChanges(old['workers'], now.workers, reloaded);
  const changed = fingerprintChanges(old, now)
    .filter((k) => !(k === 'pipeline_hash' && reloaded) && !(k === 'workers' && workers.length === 0))
    .map((k) => (k === 'workers' ? `workers: ${workers.join('; ')}` : k));
  if (changed.length && !o.force) return refuse(`the environment changed since the run started (${changed.join(', ')}); resume with --force to accept it`);
  return { old, now };
}

/**
 * Whether a process of the group works in the run's workspace, as every group the engine
 * starts does (a worker call, a verification or command step): state.json can be rewritten
 * (without the OS sandbox a worker can), and the group it names then is anybody's. Where the
 * system does not say (no /proc), the group is taken as named. Impure (reads /proc).
 */
function groupOfWorkspace(pgid: number, workspace: string): boolean {
  if (process.platform !== 'linux') return true;
  const ws = resolveLinks(workspace);
  return listGroupMembers(pgid).some((pid) => {
    try {
      return isWithin(readlinkSync(`/proc/${pid}/cwd`), ws);
    } catch {
      return false;
    }
  });
}

/** Something outside the sandbox keeps locking the engine's git dir, or took it: the user's to put right before a resume. */
function refuseBlocked(error: unknown): Rejection {
  if (!(error instanceof EngineGitBlockedError)) throw error;
  return refuse(`${error.message}; ${error.kind === 'locked' ? 'end the process that puts it back' : 'give it back to the engine (chmod -R u+rwX, chattr -R -i -a)'}, then resume`);
}

/** A worker group the dead engine left running goes first; its calls are marked interrupted. Returns the group ended. Impure. */
async function endDeadSession(run: FoundRun, events: TimelineEvent[]): Promise<number | null> {
  const state = run.state;
  let killedPgid: number | null = null;
  if (state.inflight && groupAlive(state.inflight.pgid) && groupOfWorkspace(state.inflight.pgid, state.workspace)) {
    await endGroup(state.inflight.pgid);
    killedPgid = state.inflight.pgid;
  }
  closeInterruptedCalls(run.paths.dir, events, state.inflight);
  state.inflight = null;
  return killedPgid;
}

/** The workspace reopened, the identity read, the budgets extended, the runtime opened on the run's state. Impure. */
async function reopenRun(o: ResumeRunOptions, run: FoundRun, p: ResumePrepared, endpoint: string | null, prints: Prints): Promise<Runtime | Rejection> {
  const { state, paths } = run;
  // Half removed (by a clean killed partway): what is missing is no hand edit to put back.
  if (removalBegun(state.workspace)) return refuse(`the run's workspace ${state.workspace} was being removed (\`${engineCommand('clean')}\`, or the end of a run, stopped partway): what is left of it cannot be resumed; \`${engineCommand('clean')}\` finishes removing it; start a new run`);
  if (!existsSync(state.workspace)) return refuse(`the run's workspace ${state.workspace} is gone (removed by \`engine clean\` or by hand); start a new run`);
  const ws = await reopenWorkspace({ dir: state.workspace, repoTop: state.repo, branch: state.branch, shared: state.shared ?? [] });
  // The engine's git dir is the engine's: whatever anybody put there, it starts clean — but
  // never through a link put in its place (to another repository's .git, say).
  const linked = [ws.dir, ws.gitDir, workspaceHomesOf(ws.dir)].find((p) => lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink());
  if (linked) return refuse(`${linked} is a link, not the directory the engine made for this run: nothing is written through it; start a new run`);
  try {
    claimEngineGitDir(ws);
  } catch (error) {
    if (!(error instanceof EngineGitDirError)) throw error;
    return refuse(`${error.message}; start a new run`);
  }
  // A git of the run killed with the engine (a crash, a second Ctrl-C's SIGKILL) left its lock:
  // with the run lock held no git of this run's is taking one now (clear-stale-locks.ts).
  const locks = await clearStaleLocks([...locksInGitDir(ws.gitDir), ...branchLockIn(ws.repo.commonDir, ws.branch)], { waitMs: STALE_LOCK_WAIT_MS });
  if (locks.held.length) return refuse(locks.held.map((h) => `${h.file} is held open by process ${h.pid}`).join('; ') + ': a process still using it (a git left by the engine that drove this run, or one run by hand): let it end, or end it, then resume');
  if (locks.stuck.length) return refuse(`git's lock ${locks.stuck.join(', ')} is in the way and cannot be removed (no permission in its folder): remove it, then resume`);
  // A folder of the user's refs refused since the stop (a `sudo git`): said now, as a new run
  // says it, not found at the first checkpoint as a worker's doing (E_PERMISSION, docs/errors.md).
  const blocked = await checkBranchInTheWay(state, repoTarget(ws.repo));
  if (blocked) return refuse(blocked, state.repo);
  assertBranchMovable(ws.repo.commonDir, ws.branch);
  resetEngineGitDir(ws);
  const gone = await checkRunCommits(state, workspaceTarget(ws));
  if (gone) return refuse(gone, state.repo);
  const identity = await identityOf(ws.repo, p.policy);
  if ('error' in identity) return refuse(identity.error, 'git.author');
  const kept = keptPlaces(state.repo, path.dirname(paths.dir), path.dirname(path.dirname(state.workspace)), [ws.repo.gitDir, ws.repo.commonDir]);
  const overlap = refusedWritable(p.policy.sandbox.writable, kept);
  if (overlap.length) return refuse(overlap.join('; '), 'sandbox.writable');
  const states = await refusedStateDirs(p.ir, p.pipelineDir, endpoint, o.processEnv ?? process.env, kept);
  if (states.length) return refuse(`${states.join('; ')}; ${STATE_DIR_HINT}`);
  state.budgets = {
    max_ticks: o.maxTicks !== undefined ? state.counters.ticks + o.maxTicks : Math.max(state.budgets.max_ticks, p.policy.budgets.max_ticks),
    time_min: o.timeMin !== undefined ? state.counters.elapsed_ms / 60000 + o.timeMin : Math.max(state.budgets.time_min, p.policy.budgets.time_min),
  };
  const task = { goal: state.task.goal, kind: state.task.kind, file: state.task.file, scenario: state.task.scenario, allowedRoots: state.task.allowed_roots ?? null };
  const headTree = state.head_sha === null ? null : await treeHash(workspaceTarget(ws), state.head_sha);
  const rt = await openPrepared(p, o, { task, repo: state.repo, ws, headTree, identity, paths, state, modelEndpoint: endpoint });
  rt.cliVersions = versionsOf(prints.now);
  if (rt.sandbox.blocked) return refuse(`${rt.sandbox.warning}; install bubblewrap or resume with --set sandbox.mode=auto`);
  return rt;
}

/**
 * The run brought back to its last persisted state: a step that finished durably but whose
 * state was not yet written is replayed; otherwise the workspace goes back to the persisted
 * tree. Impure.
 */
async function restoreProgress(o: ResumeRunOptions, rt: Runtime, events: TimelineEvent[]): Promise<Restored | Rejection> {
  const state = rt.state;
  const tail = events.filter((e) => e.seq > state.last_seq);
  const done = tail.find((e) => e.type === 'step.finished' && e.step === state.position.step);
  if (!done || done.type !== 'step.finished') return restoreWorkspaceTree(o, rt, events);
  advanceMachine(rt, { type: 'step.done', outcome: done.outcome, patch: done.patch as ContextPatch });
  rt.state.workspace_tree = done.tree;
  // A checkpoint that reached the timeline moved the branch: its commit is the head now.
  const cp = tail.find((e) => e.type === 'checkpoint.created' && e.step === done.step);
  if (cp && cp.type === 'checkpoint.created') {
    rt.state.head_sha = cp.sha;
    rt.headTree = cp.tree;
  }
  return { repeated: null, restored: null, handEdits: [] };
}

/**
 * The workspace back to the last persisted tree; a change nobody recorded (no step was
 * running) is a hand edit, refused unless --force. Impure.
 */
async function restoreWorkspaceTree(o: ResumeRunOptions, rt: Runtime, events: TimelineEvent[]): Promise<Restored | Rejection> {
  const state = rt.state;
  const lastStepEvent = [...events].reverse().find((e) => e.type === 'step.started' || e.type === 'step.finished' || e.type === 'step.skipped' || e.type === 'step.stopped');
  // A governance stop left the workspace as persisted (rolled back, or a checkpoint that
  // committed nothing): a difference now is a hand edit. Any other stop inside a step
  // may have left the step's own partial change, which is put back without asking.
  const governed = lastStepEvent?.type === 'step.stopped' && (lastStepEvent.stop_reason === 'governance_violation' || lastStepEvent.stop_reason === 'framework_fix_needed');
  const interrupted = lastStepEvent?.type === 'step.started' || (lastStepEvent?.type === 'step.stopped' && !governed);
  const current = await snapshotTree(rt.ws);
  let handEdits: string[] = [];
  if (!interrupted && state.workspace_tree && current !== state.workspace_tree) {
    handEdits = (await diffTreeEntries(workspaceTarget(rt.ws), state.workspace_tree, current)).map((e) => e.path);
    if (!o.force) return refuse(`the workspace was changed by hand since the run stopped: ${handEdits.join(', ')}; resume with --force to discard those changes`, state.workspace);
  }
  const repeated = interrupted || governed ? state.position.step : null;
  let restored: string | null = null;
  if (current !== state.workspace_tree) {
    await restoreWorkspace(rt.ws, state.workspace_tree);
    restored = state.workspace_tree;
  }
  return { repeated, restored, handEdits };
}

/**
 * A pipeline taken with --reload-config: env.json's `pipeline_hash` follows it, once every
 * check has passed (before the snapshot is committed: a crash between the two leaves a run a
 * second --reload-config takes, never one a plain resume refuses for a hash nobody took), and
 * the run-store record expects the new env.json. Impure.
 */
function takePipelineHash(rt: Runtime, p: ResumePrepared, prints: Prints): void {
  if (!p.snapshot.reloaded || prints.old.pipeline_hash === prints.now.pipeline_hash) return;
  const text = toRecordJson({ ...prints.old, pipeline_hash: prints.now.pipeline_hash });
  writeFileAtomic(rt.paths.env, text);
  rt.records = rt.records.map((r) => (r.name === 'env.json' ? fileRecord(rt.paths.env, 'env.json', () => text) : r));
}

/** `run.resumed` with the config's warnings, the config snapshot committed, state.json written. Impure. */
function recordResumed(o: ResumeRunOptions, rt: Runtime, run: FoundRun, p: ResumePrepared, events: TimelineEvent[], r: Restored, killedPgid: number | null): void {
  const config = p.snapshot;
  rt.state.counters.sessions++;
  rt.state.status = 'running';
  rt.state.stop_reason = null;
  rt.state.stop_detail = null;
  const checkpoint = [...rt.events].reverse().find((e) => e.type === 'checkpoint.created');
  rt.append({
    type: 'run.resumed',
    // The first event `resume --json` prints: it says which run and schema, as run.started does (contract §2).
    schema_version: schemaVersion,
    run_id: rt.state.run_id,
    engine_version: engineVersion,
    step: rt.state.position.step,
    milestone: rt.state.position.milestone,
    attempt: rt.state.position.attempt,
    from_seq: events.length ? events[events.length - 1]!.seq : 0,
    checkpoint: checkpoint && checkpoint.type === 'checkpoint.created' ? checkpoint.sha : null,
    restored_tree: r.restored,
    repeated_step: r.repeated,
    milestones_planned: rt.state.milestones.length,
    forced: o.force,
    hand_edits: r.handEdits,
    policy_hash: p.policyHash,
    policy_changed: p.policyHash !== rt.state.policy.hash,
    max_ticks: rt.state.budgets.max_ticks,
    time_min: Math.round(rt.state.budgets.time_min * 1000) / 1000,
    killed_pgid: killedPgid,
    config_reloaded: config.reloaded,
    config_changes: config.changes.map((c) => ({ file: `config/${c.file}`, origin: c.origin, change: c.change, diff: c.diff })),
  }, ...configWarnings(config));
  rt.records.push(...config.commit(rt.scrub));
  if (config.changes.length) o.warn?.(rt.scrub(describeConfigChanges(config.changes, config.reloaded, run.dir)));
  scrubWorkerHomes(rt); // what a killed session's worker left in its home
  rt.state.policy = { hash: p.policyHash, files: o.policyFiles.length ? o.policyFiles : rt.state.policy.files, sets: config.sets };
  rt.persist();
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
  const resume = resumeCommandOf(paths.dir, state);
  writeFileAtomic(paths.summary, renderSummary(state, events, policy.kpi_targets, resume));
  if (e.status === 'stopped') writeFileAtomic(paths.memo, renderMemo(state, events, resume));
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
    const meta = interruptedMetaFile(runDir, e.call);
    if (meta === null) continue;
    const pid = inflight && inflight.call === e.call ? inflight.pid : null;
    writeFileAtomic(meta, toRecordJson({ schema_version: 1, worker: e.worker, plugin: e.plugin, phase: e.phase, pid, outcome: 'incomplete', error: 'the engine stopped during this call; it was repeated on resume' }));
  }
}

/**
 * Where resume writes the meta.json of a call the dead engine never finished, or null: the
 * timeline's `call` is one of the run's folders (`calls/<name>`; text a worker could rewrite,
 * so nothing else, and neither folder a link out of the run) and no meta.json of the engine's
 * is there. What the readers refuse (a link, a file with another name: a hard link to a file
 * of the user's) is no record of the call: the new one is renamed over the name, the file it
 * led to untouched. A folder or a FIFO there is left as it is. Impure (lstats).
 */
function interruptedMetaFile(runDir: string, call: string): string | null {
  const [calls, name, ...rest] = call.split('/');
  if (calls !== 'calls' || !name || name === '.' || name === '..' || rest.length) return null;
  const folder = (rel: string) => ['directory', 'none'].includes(kindOfPath(path.join(runDir, rel), { noFollow: true }));
  if (!folder(calls) || !folder(call)) return null;
  const meta = path.join(runDir, call, 'meta.json');
  const kind = kindOfPath(meta, { noFollow: true });
  return kind === 'none' || kind === 'link' || (kind === 'file' && !isOwnRecordFile(meta)) ? meta : null;
}

function locateRun(o: ResumeRunOptions): string | null {
  const direct = path.resolve(o.cwd, o.run);
  if (existsSync(path.join(direct, 'state.json'))) return direct;
  const store = storeOf(o);
  // A file or FIFO where the store should be is said as such (E_FILE), as for `latest`: not "no run found".
  assertStoreDir(store);
  if (!isRunId(o.run)) return null;
  const dir = path.join(store, o.run);
  // A run directory without state.json is a run killed while it was being made.
  return existsSync(path.join(dir, 'state.json')) || isHalfMadeRun(dir) ? dir : null;
}

/** The run store resume looks in: --store, else the repository's. Impure (finds the repo's top). */
function storeOf(o: ResumeRunOptions): string {
  return o.storeDir ? path.resolve(o.cwd, o.storeDir) : defaultStoreDir(repoTopOf(path.resolve(o.cwd, o.repo ?? '.')));
}

/** `latest`: the newest run of the store (as `engine report latest` names it), whatever its status: a completed one is refused as by its id. Impure. */
async function latestRun(o: ResumeRunOptions): Promise<string | null> {
  const { loadStoreRuns } = await import('../store/index-runs.js');
  return (await loadStoreRuns(storeOf(o))).at(-1)?.dir ?? null;
}
