import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../vocabulary/diagnostics.js';
import { hasErrors, InputError } from '../vocabulary/diagnostics.js';
import { loadTask } from '../config/index.js';
import type { CompiledPipeline } from '../compile/ir.js';
import { BranchLockedError } from '../git/branch-locked.js';
import { BranchTakenError, WorkspaceTakenError, createWorkspace, noteWorkspaceRunDir, removeWorkspace, repoWorkspacesDir, workspacesRoot, type CreatedWorkspace, type Workspace } from '../git/workspace.js';
import { isSha256Repo, locateRepoAndHead, type RepoRef } from '../git/repo.js';
import { engineCommand } from '../vocabulary/engine-command.js';
import { configIdentity, type GitIdentity } from '../git/identity.js';
import type { RunState } from '../generated/state.js';
import type { NewEvent } from '../store/timeline.js';
import { replaceFile, toRecordJson } from '../store/atomic.js';
import { writeFreshFile } from '../util/open-own-file.js';
import { computeKpis } from '../kpi/compute.js';
import { engineVersion, schemaVersion } from '../version.js';
import { createRunId } from './clock.js';
import { defaultStoreDir, isRunId, MAX_RUN_ID_LENGTH, runPaths, type RunPaths } from '../vocabulary/run-layout.js';
import { driveRun, type LoopEnd } from './loop.js';
import { dropBlockedRun, dropUnbegunRun, finishRun, type RunOutcome } from './finish-run.js';
import { readScenario, startScenarioModel } from './scenario-model.js';
import type { EngineScenario } from '../stub/types.js';
import { recordUpstream, startModelTraffic, type ModelTraffic, type TrafficMode } from './model-traffic.js';
import { loadRecording, RecordingError } from '../record/load-recording.js';
import { collectSecrets } from '../workers/redact.js';
import { endpointWorkerNames, takesModelEndpoint } from '../workers/builtin-workers.js';
import type { Runtime, RunPolicy, TaskInfo } from './types.js';
import { acquireRunLock } from '../store/run-lock.js';
import { fileRecord } from '../store/run-records.js';
import { describeBlock, preflightHost, preflightWorkers } from '../doctor/preflight.js';
import { doctorCommand } from './doctor-command.js';
import { fingerprintWorkers, gatherWorkerFacts, type WorkerFacts } from '../doctor/check-workers.js';
import { finding, type Finding } from '../doctor/types.js';
import { nonUtf8IndexPaths } from '../git/stat-record.js';
import { UNDECODABLE_HINT, undecodableMessage } from '../doctor/check-repo.js';
import { EXIT } from '../vocabulary/exit-codes.js';
import { beginRunCreation, cleanHalfMadeRun, endRunCreation, isHalfMadeRun, noteRunWorkspace, type RunCreation } from './create-run-dir.js';
import { sandboxRecord } from '../sandbox/sandbox-status.js';
import { checkSandbox } from '../doctor/check-sandbox.js';
import { fingerprint, versionsOf } from './fingerprint.js';
import { identityOf, isRejection, openPrepared, prepareRun, rejected, type PreparedRun, type Rejection, type SessionOptions } from './prepare-run.js';
import { keepYoungGenerationSmall } from './heap.js';
import { describeFsError, whyAt } from '../util/describe-fs-error.js';
import { keptPlaces } from './kept-places.js';
import { refusedWritable } from '../sandbox/check-writable.js';
import { refusedStateDirs, STATE_DIR_HINT } from './state-dirs.js';
import { isWithin } from '../util/is-within.js';
import { isGitDir, repoDirProblem } from '../util/repo-top.js';
import { resolveLinks } from '../util/resolve-links.js';
import { makeDirectory } from '../util/make-directory.js';
import { describeBlockingBranch } from '../git/find-blocking-branches.js';

export interface StartRunOptions extends SessionOptions {
  pipelineFile: string;
  repo: string;
  goal?: string;
  taskFile?: string;
  policyFiles: string[];
  sets: string[];
  storeDir?: string;
  /** Where workspaces live (`--workspaces DIR`); default from ENGINE_HOME / XDG_STATE_HOME. */
  workspacesDir?: string;
  runId?: string;
  seed: number;
  scenarioFile?: string;
  /** `--record`: the claude/codex workers' model traffic goes through a recording proxy. */
  record?: boolean;
  /** `--replay FILE|RUN-DIR`: serve the workers from a recording (overrides the task's `replay`). */
  replayFrom?: string;
  maxTicks?: number;
  timeMin?: number;
  cwd: string;
  /** Told the run's id and directory once the directory is made, before its first step (a stop from then on names it); `began` is false. */
  onRun?: (runId: string, runDir: string, began: boolean) => void;
  /** A run that failed before it began kept its branch in `repo` (something touched it, or git could not remove it): the user must. */
  onBranchKept?: (branch: string, repo: string) => void;
}

export type StartResult = Rejection | ({ kind: 'finished' } & RunOutcome);

/** What start knows before its policy: the repo and the task. */
interface StartSite {
  repo: string;
  repoRef: RepoRef;
  task: TaskInfo;
  /**
   * git's configured identity, read from the moment the repo is found while the pipeline and
   * policy are checked (checkStart takes it unless the policy names git.author).
   */
  configRead: Promise<GitIdentity>;
}

/** What start checks after its policy, before anything is made. */
interface StartChecks {
  identity: GitIdentity;
  traffic: TrafficMode | null;
  /** The task's scenario file, `--scenario` over the task's own (null: none). */
  scenarioFile: string | null;
  /** That scenario, read and checked, for the scripted model (null: no model; a replay answers from its recording). */
  scenario: EngineScenario | null;
  /** The workers' facts, being gathered while the run is made (each CLI's --version takes the better part of a second). */
  workerFacts: Promise<WorkerFacts[]>;
}

/** The run's directory in the store, locked, its creation under way. */
interface NewRunDir {
  runId: string;
  paths: RunPaths;
  lock: { release(): void };
  creation: RunCreation;
}

/**
 * `engine run`: check every input, create the run's workspace and records, drive the machine
 * to a stop. Bad input is rejected with diagnostics before anything is created. Impure.
 */
export async function startRun(o: StartRunOptions): Promise<StartResult> {
  keepYoungGenerationSmall();
  const pipelineFile = path.resolve(o.cwd, o.pipelineFile);
  const p = await prepareRun({ config: { from: 'files', pipelineFile, policyFiles: o.policyFiles, sets: o.sets }, cwd: o.cwd, locate: () => locateStart(o), processEnv: o.processEnv });
  if (isRejection(p)) return p;
  const checks = await checkStart(o, p);
  if (isRejection(checks)) return checks;
  // Interrupted while its inputs were checked: stopped before anything is made (the command says so).
  if (o.signal.aborted) return { kind: 'rejected', diagnostics: [], exitCode: EXIT.interrupted };
  const dir = await makeRunDir(o, p, checks);
  if (isRejection(dir)) return dir;
  return beginRun(o, p, checks, dir);
}

const usage = (file: string, message: string): Diagnostic => ({ code: 'E_USAGE', severity: 'error', message, file, line: 0, col: 0 });

/**
 * The repo, the task, and the host's preflight where it matters: git found the repo, so git
 * runs; only when it did not is git itself checked (without git no run can even be recorded,
 * and a missing git is the failure to report, not the repo). Impure.
 */
/**
 * Why `--repo` names no repository a run can use, said for what is there: nothing (E_FILE), a
 * file (E_FILE), a bare repository (no working tree to start from), else a directory that is
 * not a repository. A new user's probe was told 'is not a git repository (run git init there
 * first)' of all four. Impure (stats).
 */
function notARepo(given: string, dir: string): Diagnostic {
  // A path through a file (`--repo /tmp/afile/sub`) threw ENOTDIR from a stat here: exit 70.
  const problem = repoDirProblem(given, dir);
  if (problem) return { code: 'E_FILE', severity: 'error', message: problem, file: given, line: 0, col: 0 };
  const bare = isGitDir(dir) && !existsSync(path.join(dir, '.git'));
  if (bare) return usage(given, `${given} is a bare git repository: a run starts from a working tree (clone it: git clone ${given} DIR, then --repo DIR)`);
  // `dir`, not `given`: without --repo, given is "." and the message named no directory.
  return usage(given, `${dir} is not a git repository (run "git init" there first, or pass the repo with --repo DIR)`);
}

async function locateStart(o: StartRunOptions): Promise<StartSite | Rejection> {
  let repoRef: RepoRef;
  let head: string | null;
  try {
    ({ repo: repoRef, head } = await locateRepoAndHead(path.resolve(o.cwd, o.repo)));
  } catch {
    const hostBlock = await preflightHost(o.processEnv);
    if (hostBlock.length) return { kind: 'rejected', exitCode: EXIT.doctor, diagnostics: hostBlock.map((f) => ({ code: 'E_DOCTOR', severity: 'error', message: `${f.id}: ${f.message}`, file: 'engine run', line: 0, col: 0, ...(f.hint ? { hint: f.hint } : {}) })) };
    return rejected([notARepo(o.repo, path.resolve(o.cwd, o.repo))]);
  }
  // Said before anything is made: the workspace could not be (it was an internal error, after the run's directory).
  if (isSha256Repo(repoRef.commonDir)) return rejected([usage(o.repo, `${o.repo} is a SHA-256 repository (extensions.objectFormat = sha256): the engine's workspaces support SHA-1 repositories only for now`)]);
  const configRead = configIdentity(repoRef);
  // Awaited by checkStart, or never (a rejected start, a policy's git.author).
  configRead.catch(() => undefined);
  const task = await readTask(o, repoRef, head);
  if ('diagnostics' in task) return rejected(task.diagnostics);
  return { repo: repoRef.top, repoRef, task: task.info, configRead };
}

/** The checkpoint identity, the model traffic mode and the scenario, all checked before anything is made. Impure. */
async function checkStart(o: StartRunOptions, p: PreparedRun<StartSite>): Promise<StartChecks | Rejection> {
  const identity = await identityOf(p.site.repoRef, p.policy, p.site.configRead);
  if ('error' in identity) return rejected([usage('git.author', identity.error)]);
  const traffic = trafficMode(o, p.site.task, p.ir);
  if ('error' in traffic) return rejected([usage(traffic.file, traffic.error)]);
  const unserved = o.scenarioFile ? unservedScenario(p.ir) : null;
  if (unserved) return rejected([usage('--scenario', unserved)]);
  // A replay answers from its recording alone: the scripted model is not started.
  const scenarioFile = o.scenarioFile ? path.resolve(o.cwd, o.scenarioFile) : p.site.task.scenario;
  const read = scenarioFile && traffic.mode?.kind !== 'replay' ? await readScenario(scenarioFile) : null;
  if (read && 'diagnostics' in read) return rejected(read.diagnostics);
  const workerFacts = gatherWorkerFacts(p.ir, p.pipelineDir, o.processEnv, p.site.repo);
  workerFacts.catch(() => undefined); // awaited by recordStart's preflight
  return { identity, traffic: traffic.mode, scenarioFile, scenario: read?.scenario ?? null, workerFacts };
}

/**
 * Why a `--scenario` would be served to no worker (only the plugins that take a model
 * endpoint, claude and codex, are pointed at the scripted model), or null. A task file's
 * scenario is part of the task and may meet any pipeline; the flag is asked for this run. Pure.
 */
export function unservedScenario(ir: CompiledPipeline): string | null {
  const workers = Object.entries(ir.workers);
  if (workers.some(([, w]) => takesModelEndpoint(w.use))) return null;
  const byUse = new Map<string, string[]>();
  for (const [name, w] of workers) byUse.set(w.use, [...(byUse.get(w.use) ?? []), name]);
  const said = [...byUse].map(([use, names]) => `${names.join(', ')} use${names.length === 1 ? 's' : ''} ${use}`).join('; ');
  return `no worker of the pipeline takes the scripted model (only ${endpointWorkerNames().join(' and ')} workers do; ${said}): leave --scenario out, or give the pipeline a ${endpointWorkerNames().join(' or ')} worker`;
}

/** The run's directory: a new id in the store, locked, its creation begun. Impure. */
async function makeRunDir(o: StartRunOptions, p: PreparedRun<StartSite>, checks: StartChecks): Promise<NewRunDir | Rejection> {
  const repo = p.site.repo;
  const storeDir = path.resolve(o.cwd, o.storeDir ?? defaultStoreDir(repo));
  const runId = o.runId ?? createRunId(o.env);
  if (runId.length > MAX_RUN_ID_LENGTH) return rejected([usage('--run-id', `the run id is ${runId.length} characters long: at most ${MAX_RUN_ID_LENGTH} (the engine names files after it, such as <run-id>.homes beside its workspace, and a file name has at most 255 bytes)`)]);
  if (!isRunId(runId)) return rejected([usage('--run-id', `"${runId}" is not a valid run id (letters, digits, . _ -; no "..", not ending in ".", .git, .homes or .lock)`)]);
  const paths = runPaths(path.join(storeDir, runId));
  const root = workspacesRoot(o.processEnv, o.workspacesDir);
  // Where the root came from, as the user named it: a relative ENGINE_HOME inside the repo was
  // said to be `--workspaces`, a flag not given.
  const rootFrom = o.workspacesDir ? '--workspaces' : o.processEnv.ENGINE_HOME ? 'ENGINE_HOME' : root;
  // The workers' homes beside each workspace are writable under the sandbox: inside the user's
  // checkout a planted file would be found and run by the user's own tools. Refused before
  // anything is made (its directories were made in the checkout first).
  if (isWithin(resolveLinks(root), resolveLinks(repo))) {
    return rejected([{ code: 'E_USAGE', severity: 'error', message: `the workspaces' root ${root} is inside the repository ${repo}: the workers' workspaces and homes would be in your checkout`, file: rootFrom, line: 0, col: 0, hint: 'name one outside it with --workspaces DIR or ENGINE_HOME' }]);
  }
  // A store or workspaces' root the file system refuses (a file in the way, read-only, full) is
  // the user's to mend, said before anything is made.
  const refused = [
    refusedDir(storeDir, 'the run store', '--store DIR names another'),
    refusedDir(root, 'the workspaces\' root', '--workspaces DIR or ENGINE_HOME names another'),
  ].filter((d): d is Diagnostic => d !== null);
  if (refused.length) return rejected(refused);
  const ownStore = storeOfItsOwn(storeDir, repo, defaultStoreDir(repo));
  if (ownStore) return rejected([usage('--store', ownStore)]);
  // So is this repo's folder in that root, links resolved: without the OS sandbox a worker can
  // move it into the checkout and leave a link in its place for the next run.
  const folder = repoWorkspacesDir(root, repo);
  if (isWithin(resolveLinks(folder), resolveLinks(repo)) || isWithin(resolveLinks(repo), resolveLinks(folder))) {
    return rejected([{ code: 'E_USAGE', severity: 'error', message: `the workspaces folder of this repository, ${folder}, leads to ${resolveLinks(folder)}, in or around the repository ${repo}: the workers' workspaces and homes would be in your checkout`, file: rootFrom, line: 0, col: 0, hint: `remove the link ${folder} (a worker without the OS sandbox can make one), or name another root with --workspaces DIR or ENGINE_HOME` }]);
  }
  const kept = keptPlaces(repo, storeDir, root, [p.site.repoRef.gitDir, p.site.repoRef.commonDir]);
  const overlap = refusedWritable(p.policy.sandbox.writable, kept);
  if (overlap.length) return rejected(overlap.map((message) => ({ code: 'E_SANDBOX_WRITABLE', severity: 'error', message, file: 'sandbox.writable', line: 0, col: 0, hint: 'name a directory of its own, e.g. a package cache' })));
  // A scripted model or a recording gives the CLIs a model endpoint, and with it a private home.
  const endpoint = checks.scenario || checks.traffic ? 'http://127.0.0.1/' : null;
  const states = await refusedStateDirs(p.ir, p.pipelineDir, endpoint, o.processEnv, kept);
  if (states.length) return rejected(states.map((message) => ({ code: 'E_SANDBOX_WRITABLE', severity: 'error', message, file: p.pipelineFile, line: 0, col: 0, hint: STATE_DIR_HINT })));
  // A run killed while it was being made (no state.json) is removed, so its id can be used again.
  if (isHalfMadeRun(paths.dir)) await cleanHalfMadeRun(paths.dir);
  const made = makeOwnRunDir(paths.dir, runId, storeDir);
  if (made) return rejected([made]);
  o.onRun?.(runId, paths.dir, false);
  ignoreStore(storeDir);
  const lock = acquireRunLock(paths.lock);
  const sources = { pipelineFile: p.pipelineFile, repo, policyFiles: o.policyFiles.map((f) => path.resolve(o.cwd, f)), sets: o.sets };
  const creation = beginRunCreation({ runDir: paths.dir, runId, repo, sources, secrets: { policy: p.policy, env: o.processEnv, ir: p.ir } });
  return { runId, paths, lock, creation };
}

/**
 * Makes the run's directory in its store, which exists (refusedDir made it): one mkdir, never
 * Node's recursive one, which reported ENOENT for a read-only file system and, under /proc,
 * retried for ever, deaf to every signal. A run of that id there already is E_USAGE; a store
 * where no directory can be made (ENOENT, ENOTDIR: /proc) is E_FILE; the machine's failure
 * (EROFS, ENOSPC) and a refused permission (EACCES) are thrown, said as E_MACHINE (71) and
 * E_PERMISSION (77). Returns null once made. Impure.
 */
function makeOwnRunDir(dir: string, runId: string, storeDir: string): Diagnostic | null {
  const taken = usage('--run-id', `a run ${runId} already exists in ${storeDir}`);
  if (existsSync(dir)) return taken;
  try {
    mkdirSync(dir);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return taken;
    const fs = describeFsError(error);
    if (!fs || (code !== 'ENOENT' && code !== 'ENOTDIR')) throw error;
    return { code: 'E_FILE', severity: 'error', message: `cannot make the run's directory in the run store ${storeDir}: ${whyAt(fs, storeDir)} (the file system there makes no directories)`, file: storeDir, line: 0, col: 0, hint: '--store DIR names another' };
  }
}

/** E_FILE when `dir` cannot be made a directory (an error that is not the file system's is thrown). Impure. */
function refusedDir(dir: string, what: string, hint: string): Diagnostic | null {
  try {
    makeDirectory(dir);
    return null;
  } catch (error) {
    const fs = describeFsError(error);
    if (!fs) throw error;
    return { code: 'E_FILE', severity: 'error', message: `cannot make ${what} ${dir}: ${whyAt(fs, dir)}`, file: dir, line: 0, col: 0, hint };
  }
}

/** The run made: the scripted model, the workspace, the traffic proxy, the runtime; then driven to a stop. Impure. */
async function beginRun(o: StartRunOptions, p: PreparedRun<StartSite>, checks: StartChecks, dir: NewRunDir): Promise<StartResult> {
  const task = p.site.task;
  // Recorded with the task, so a resume starts the same scripted model.
  task.scenario = checks.scenarioFile;
  let model: Awaited<ReturnType<typeof startScenarioModel>> | null = null;
  let ws: Workspace | null = null;
  let baseSha: string | null = null;
  let modelTraffic: ModelTraffic | null = null;
  try {
    // The workspace's git processes run while the scripted model starts; whichever fails,
    // what the other made is undone.
    const making = createWorkspace({ repo: p.site.repoRef, runId: dir.runId, root: workspacesRoot(o.processEnv, o.workspacesDir), share: shareGlobs(p.policy, p.site.repo) });
    const starting = checks.scenario && checks.scenarioFile ? startScenarioModel(checks.scenarioFile, dir.paths.dir, checks.scenario) : Promise.resolve(null);
    const [modelStart, workspace] = await Promise.allSettled([starting, making]);
    if (modelStart.status === 'fulfilled') model = modelStart.value;
    if (workspace.status === 'fulfilled') ({ ws, baseSha } = workspace.value);
    if (modelStart.status === 'rejected') throw modelStart.reason;
    if (workspace.status === 'rejected') throw workspace.reason;
    const made = workspace.value;
    const baseTree = made.baseTree;
    // The workspace names its run first: the clean-up of a half-made run removes a workspace
    // only when it does (another store's run of the same id works in the same place).
    noteWorkspaceRunDir(made.ws, dir.paths.dir);
    noteRunWorkspace(dir.paths.dir, made.ws);
    if (checks.traffic) modelTraffic = await startTraffic(o, p, dir, made.ws, checks.traffic, model?.origin ?? null);
    const state = initialState({ runId: dir.runId, repo: p.site.repo, ws: made.ws, baseSha: made.baseSha, ir: p.ir, pipelineFile: o.pipelineFile, policyHash: p.policyHash, o, task, policy: p.policy, now: o.env.now().toISOString() });
    state.workspace_tree = baseTree;
    const modelEndpoint = modelTraffic?.origin ?? model?.origin ?? null;
    const rt = await openPrepared(p, o, { task, repo: p.site.repo, ws: made.ws, headTree: made.baseSha === null ? null : baseTree, identity: checks.identity, paths: dir.paths, state, modelEndpoint });
    const blocking = await recordStart(o, p, rt, dir.creation, { made, modelTraffic, scripted: Boolean(model ?? modelTraffic), facts: checks.workerFacts });
    const end = blocking.length ? recordDoctorBlock(rt, blocking) : await driveRun(rt);
    if (end.reason === 'doctor_blocked') await dropBlockedRun(rt);
    return { kind: 'finished', ...finishRun(rt, end) };
  } catch (error) {
    // A run that failed before its first record leaves no half-made workspace behind, nor the
    // branch made for it: a branch left would refuse `run --run-id` with the same id, and
    // resume's clean-up finds it only through the workspace removed here. The run's own failure
    // is the one to report: the workspace goes even when the branch cannot.
    const half = ws;
    if (half && !existsSync(dir.paths.state)) {
      const gone = await dropUnbegunRun(half, baseSha, 'engine: run not begun').catch(() => (removeWorkspace(half.dir), false));
      // Kept (touched since it was made, or git failed): nothing the engine runs later removes it.
      if (!gone) o.onBranchKept?.(half.branch, p.site.repo);
    }
    // The user's to mend, not the engine's: said as input, the half-made run taken away.
    const refusal = existsSync(dir.paths.state) ? null : startRefusal(error, p.site.repo);
    if (refusal === null) throw error;
    dir.lock.release();
    await cleanHalfMadeRun(dir.paths.dir);
    return rejected([refusal]);
  } finally {
    await modelTraffic?.close();
    await model?.close();
    dir.lock.release();
  }
}

/**
 * What the user is told of a start the repository or the workspaces folder refused (the run's
 * branch or a workspace of its id there already, the branch locked, a root where no directory
 * can be made), or null for any other
 * failure. Pure.
 */
function startRefusal(error: unknown, repo: string): Diagnostic | null {
  if (error instanceof InputError) return error.diagnostic;
  if (error instanceof BranchTakenError) {
    // Not the run id's doing: a branch `engine` is in the way of every id.
    if (error.blocking) return usage(error.repo, describeBlockingBranch(error.blocking, error.repo, error.branch));
    return usage('--run-id', `the branch ${error.branch} is in ${error.repo} already (from an earlier run whose store is gone, or fetched): give another --run-id, or delete the branch (git branch -D ${error.branch})`);
  }
  if (error instanceof WorkspaceTakenError) return usage('--run-id', `${error.message} (a run of this id from another store, or left by one: \`${engineCommand('clean')}\` removes one no run owns): give another --run-id`);
  if (error instanceof BranchLockedError) return usage(repo, error.message);
  return null;
}

/** The recording or replaying proxy between the workers and their model. Impure (listens on loopback). */
function startTraffic(o: StartRunOptions, p: PreparedRun<StartSite>, dir: NewRunDir, ws: Workspace, mode: TrafficMode, scripted: string | null): Promise<ModelTraffic> {
  const upstream = mode.kind === 'record' ? recordUpstream(p.ir, scripted) : null;
  return startModelTraffic({
    mode,
    upstream: typeof upstream === 'string' ? upstream : null,
    ir: p.ir,
    runId: dir.runId,
    runDir: dir.paths.dir,
    workspace: ws.dir,
    branch: ws.branch,
    repo: p.site.repo,
    secrets: collectSecrets(p.policy.transcripts.redact, [o.processEnv]),
  });
}

/**
 * The run's first records: the workers' preflight, env.json, state.json, `run.started`. Returns
 * what blocks the run before its first step (the preflight's findings, a sandbox that cannot
 * be had). Impure.
 */
async function recordStart(o: StartRunOptions, p: PreparedRun<StartSite>, rt: Runtime, creation: RunCreation, s: { made: CreatedWorkspace; modelTraffic: ModelTraffic | null; scripted: boolean; facts: Promise<WorkerFacts[]> }): Promise<Finding[]> {
  // The preflight's worker facts are also the fingerprint's: each `--version` runs once.
  const preflight = await preflightWorkers(p.ir, p.pipelineDir, o.processEnv, p.site.repo, { scripted: s.scripted, facts: s.facts });
  const print = { ...fingerprint(p.ir, rt.modelEndpoint, p.pipelineFile, fingerprintWorkers(preflight.facts)), sandbox: sandboxRecord(rt.sandbox) };
  rt.cliVersions = versionsOf(print);
  const envText = toRecordJson(print);
  replaceFile(rt.paths.env, envText, { syncData: true });
  rt.records.push(fileRecord(rt.paths.env, 'env.json', () => envText));
  // state.json exists before the first event, so a crash at any point leaves a resumable run.
  rt.persist();
  endRunCreation(rt, creation);
  rt.append(startedEvent(o, p, rt, s.made, s.modelTraffic));
  rt.persist();
  if (rt.sandbox.blocked) preflight.blocking.push(checkSandbox(rt.sandbox));
  const undecodable = nonUtf8IndexPaths(s.made.ws.gitDir);
  // What the repository's own commit tracks that the engine can neither name nor check (doctor: repo.paths).
  if (undecodable.length) preflight.blocking.push(finding('repo.paths', 'block', undecodableMessage(undecodable), UNDECODABLE_HINT));
  return preflight.blocking;
}

/** The `run.started` event. Pure. */
function startedEvent(o: StartRunOptions, p: PreparedRun<StartSite>, rt: Runtime, made: CreatedWorkspace, modelTraffic: ModelTraffic | null): NewEvent {
  return {
    type: 'run.started',
    step: null,
    milestone: null,
    attempt: null,
    schema_version: schemaVersion,
    run_id: rt.state.run_id,
    engine_version: engineVersion,
    pipeline: { path: o.pipelineFile, hash: p.ir.hash, name: p.ir.name },
    policy_hash: p.policyHash,
    goal: p.site.task.goal,
    task_kind: p.site.task.kind,
    branch: rt.ws.branch,
    workspace: rt.ws.dir,
    shared: rt.ws.shared,
    base_sha: made.baseSha,
    seed: o.seed,
    dirty_user_tree: made.dirtyUserTree,
    // Said only of globs the policy names: the default share (node_modules) is the doctor's to judge (workspace.deps).
    ...(p.policy.workspace.share !== null && made.unmatchedShares.length ? { share_unmatched: made.unmatchedShares } : {}),
    sandbox: sandboxRecord(rt.sandbox),
    ...(modelTraffic ? { model_traffic: modelTraffic.event } : {}),
  };
}

/** The share globs of a run: the policy's, or node_modules for a repo with a package.json and no set-up. Pure apart from one stat. */
export function shareGlobs(policy: RunPolicy, repo: string): string[] {
  const share = policy.workspace.share;
  if (share !== null) return [...share];
  // A set-up installs what the workspace needs itself: linking the checkout's copy would clash.
  if (policy.workspace.setup.length > 0) return [];
  return existsSync(path.join(repo, 'package.json')) ? ['node_modules'] : [];
}

/** What the engine writes as a store's .gitignore, and knows it by. */
const STORE_IGNORE = '# Written by the engine: the run store is never committed.\n*\n';

/**
 * Why a run store given inside the repository cannot be one, or null. The store ignores itself
 * with a `.gitignore` of `*`, which hides everything untracked in its folder: a folder of the
 * user's (the repository's top, `src/`, `.engine/` with its config) would lose sight of their
 * own new files, and one whose `.gitignore` is the user's would show the runs and the store's
 * index in `git status` (a new user's `--store .` and `--store .engine` did). So inside the
 * repository a store is the default, a folder not there yet or empty, or one the engine made.
 * Impure (reads the folder).
 */
function storeOfItsOwn(storeDir: string, repo: string, defaultStore: string): string | null {
  if (path.resolve(storeDir) === path.resolve(defaultStore) || !isWithin(resolveLinks(storeDir), resolveLinks(repo))) return null;
  let names: string[];
  try {
    names = readdirSync(storeDir);
  } catch {
    return null;
  }
  if (names.length === 0) return null;
  const ignore = path.join(storeDir, '.gitignore');
  if (isPlainFile(ignore) && readFileSync(ignore, 'utf8') === STORE_IGNORE) return null;
  return `${storeDir} is a folder of the repository ${repo} that holds files of its own: the run store's .gitignore would hide its new files from git, or the user's .gitignore there would show the runs in git status; name a new folder (the default is ${defaultStore}) or one outside the repository`;
}

/**
 * The run store ignores itself (`.gitignore` with `*`), so runs never show up in the user's
 * `git status`, whether or not the repo was set up with `engine init`. Impure.
 */
function ignoreStore(storeDir: string): void {
  const file = path.join(storeDir, '.gitignore');
  // A file there is kept; anything else (a link, dangling or not) is replaced, never written through.
  if (!isPlainFile(file)) writeFreshFile(file, STORE_IGNORE);
}

/** A regular file at `file` itself (a link is not followed). Impure. */
function isPlainFile(file: string): boolean {
  try {
    return lstatSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Record, replay, or neither, checked before anything is made: a recording that cannot be
 * read, or a record run with no single upstream, is bad input. Impure (reads the recording).
 */
function trafficMode(o: StartRunOptions, task: TaskInfo, ir: CompiledPipeline): { mode: TrafficMode | null } | { error: string; file: string } {
  const from = o.replayFrom ? path.resolve(o.cwd, o.replayFrom) : (task.replay ?? null);
  if (o.record && from) return { error: 'give --record or a replay (--replay, or the task\'s replay), not both', file: '--record' };
  if (from) {
    try {
      loadRecording(from);
    } catch (error) {
      if (error instanceof RecordingError) return { error: error.message, file: o.replayFrom ? '--replay' : (task.file ?? 'task') };
      throw error;
    }
    return { mode: { kind: 'replay', from } };
  }
  if (!o.record) return { mode: null };
  const upstream = recordUpstream(ir, o.scenarioFile || task.scenario ? 'scripted' : null);
  return typeof upstream === 'string' ? { mode: { kind: 'record' } } : { error: upstream.error, file: '--record' };
}

/** A blocking preflight finding stops the run before its first step: `doctor.blocked`, then the stop. Impure. */
function recordDoctorBlock(rt: Runtime, blocking: Finding[]): LoopEnd {
  const doctor = doctorCommand(rt.state);
  rt.append({ type: 'doctor.blocked', step: null, milestone: null, attempt: null, findings: blocking.map((f) => ({ id: f.id, status: 'block' as const, message: f.message, hint: f.hint })), doctor });
  return { reason: 'doctor_blocked', detail: describeBlock(blocking, doctor) };
}

/** The task, from its file or --goal; its kind guessed, where not given, from the repo's files and `head`, its HEAD commit (null: none). Impure (reads files). */
async function readTask(o: StartRunOptions, repo: RepoRef, head: string | null): Promise<{ info: TaskInfo } | { diagnostics: Diagnostic[] }> {
  const guessKind = (): 'greenfield' | 'incremental' => {
    const entries = readdirSync(repo.top).filter((n) => n !== '.git' && n !== '.engine');
    return head === null || entries.length === 0 ? 'greenfield' : 'incremental';
  };
  if (o.taskFile) {
    const file = path.resolve(o.cwd, o.taskFile);
    const t = await loadTask(file);
    if (!t.data || hasErrors(t.diagnostics)) return { diagnostics: t.diagnostics };
    return {
      info: {
        goal: t.data.goal,
        kind: t.data.task_kind ?? guessKind(),
        file: o.taskFile,
        scenario: t.data.scenario ? path.resolve(path.dirname(file), t.data.scenario) : null,
        allowedRoots: t.data.allowed_roots ?? null,
        replay: t.data.replay ? path.resolve(path.dirname(file), t.data.replay) : null,
      },
    };
  }
  if (!o.goal?.trim()) return { diagnostics: [{ code: 'E_USAGE', severity: 'error', message: 'give the work to do with --task FILE or --goal TEXT', file: 'engine run', line: 0, col: 0 }] };
  return { info: { goal: o.goal, kind: guessKind(), file: null, scenario: null, allowedRoots: null } };
}

interface InitialStateInput {
  runId: string;
  repo: string;
  ws: Workspace;
  baseSha: string | null;
  ir: CompiledPipeline;
  pipelineFile: string;
  policyHash: string;
  o: StartRunOptions;
  task: TaskInfo;
  policy: RunPolicy;
  now: string;
}

function initialState(i: InitialStateInput): RunState {
  return {
    schema_version: schemaVersion,
    engine_version: engineVersion,
    run_id: i.runId,
    status: 'running',
    stop_reason: null,
    stop_detail: null,
    repo: i.repo,
    branch: i.ws.branch,
    workspace: i.ws.dir,
    shared: i.ws.shared,
    base_sha: i.baseSha,
    head_sha: i.baseSha,
    workspace_tree: null,
    pipeline: { path: i.pipelineFile, hash: i.ir.hash, name: i.ir.name },
    policy: { hash: i.policyHash, files: i.o.policyFiles, sets: i.o.sets },
    task: { goal: i.task.goal, kind: i.task.kind, file: i.task.file, scenario: i.task.scenario, allowed_roots: i.task.allowedRoots },
    seed: i.o.seed,
    milestones: [],
    position: { step: i.ir.start, milestone: null, attempt: null },
    counters: { ticks: 0, worker_calls: 0, milestone_worker_calls: 0, parse_failures: 0, human_interventions: 0, elapsed_ms: 0, sessions: 1, cost_usd: 0 },
    budgets: { max_ticks: i.o.maxTicks ?? i.policy.budgets.max_ticks, time_min: i.o.timeMin ?? i.policy.budgets.time_min },
    kpis: computeKpis([]),
    inflight: null,
    last_seq: 0,
    machine: {},
    created_at: i.now,
    updated_at: i.now,
  };
}
