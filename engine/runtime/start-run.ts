import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import type { Diagnostic } from '../vocabulary/diagnostics.js';
import { hasErrors } from '../vocabulary/diagnostics.js';
import { loadPipeline, loadTask } from '../config/index.js';
import { resolvePolicy } from '../config/policy/resolve-policy.js';
import { compilePipeline } from '../compile/compile.js';
import type { CompiledPipeline } from '../compile/ir.js';
import { createWorkspace, removeWorkspace, workspacesRoot, type Workspace } from '../git/workspace.js';
import { headSha, locateRepo, type RepoRef } from '../git/repo.js';
import { resolveGitIdentity, type GitIdentity } from '../git/identity.js';
import type { RunState } from '../generated/state.js';
import type { TimelineEvent } from '../generated/event.js';
import { replaceFile, toRecordJson } from '../store/atomic.js';
import { computeKpis } from '../kpi/compute.js';
import { engineVersion, contractVersion, schemaVersion } from '../version.js';
import { createRunId, type RunEnv } from './clock.js';
import { defaultStoreDir, runPaths } from '../vocabulary/run-layout.js';
import { openRuntime } from './open-runtime.js';
import { driveRun } from './loop.js';
import { finishRun, type RunOutcome } from './finish-run.js';
import { startScenarioModel } from './scenario-model.js';
import { recordUpstream, startModelTraffic, type ModelTraffic, type TrafficMode } from './model-traffic.js';
import { loadRecording, RecordingError } from '../record/load-recording.js';
import { collectSecrets } from '../workers/redact.js';
import type { RunPolicy, TaskInfo } from './types.js';
import { acquireRunLock } from '../store/run-lock.js';
import { fileRecord } from '../store/run-records.js';
import { describeBlock, preflightHost, preflightWorkers } from '../doctor/preflight.js';
import { fingerprintWorkers } from '../doctor/check-workers.js';
import type { Finding } from '../doctor/types.js';
import { EXIT } from '../vocabulary/exit-codes.js';
import { beginRunCreation, cleanHalfMadeRun, endRunCreation, isHalfMadeRun, noteRunWorkspace } from './create-run-dir.js';
import type { LoopEnd } from './loop.js';
import { sandboxRecord } from '../sandbox/sandbox-status.js';
import { checkSandbox } from '../doctor/check-sandbox.js';

export interface StartRunOptions {
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
  env: RunEnv;
  processEnv: NodeJS.ProcessEnv;
  signal: AbortSignal;
  onEvent?: (e: TimelineEvent) => void;
}

export type StartResult = { kind: 'rejected'; diagnostics: Diagnostic[]; exitCode: number } | ({ kind: 'finished' } & RunOutcome);

/**
 * `engine run`: check every input, create the run's workspace and records, drive the machine
 * to a stop. Bad input is rejected with diagnostics before anything is created. Impure.
 */
export async function startRun(o: StartRunOptions): Promise<StartResult> {
  const reject = (diagnostics: Diagnostic[]): StartResult => ({ kind: 'rejected', diagnostics, exitCode: 2 });
  const usage = (file: string, message: string): Diagnostic => ({ code: 'E_USAGE', severity: 'error', message, file, line: 0, col: 0 });

  const pipelineFile = path.resolve(o.cwd, o.pipelineFile);
  const pipeline = await loadPipeline(pipelineFile);
  if (!pipeline.data || hasErrors(pipeline.diagnostics)) return reject(pipeline.diagnostics);
  const ir = compilePipeline(pipeline.data);

  // Preflight (the doctor's checks): without git no run can even be recorded.
  const hostBlock = await preflightHost(o.processEnv);
  if (hostBlock.length) return { kind: 'rejected', exitCode: EXIT.doctor, diagnostics: hostBlock.map((f) => ({ code: 'E_DOCTOR', severity: 'error', message: `${f.id}: ${f.message}`, file: 'engine run', line: 0, col: 0, ...(f.hint ? { hint: f.hint } : {}) })) };

  let repoRef: RepoRef;
  try {
    repoRef = await locateRepo(path.resolve(o.cwd, o.repo));
  } catch {
    return reject([usage(o.repo, `${o.repo} is not a git repository (run "git init" there first)`)]);
  }
  const repo = repoRef.top;

  const task = await readTask(o, repoRef);
  if ('diagnostics' in task) return reject(task.diagnostics);

  const policy = await resolvePolicy({ repo, files: o.policyFiles, sets: o.sets, cwd: o.cwd });
  if (!policy.policy || hasErrors(policy.diagnostics)) return reject(policy.diagnostics);
  const rp = policy.policy as RunPolicy;
  let identity: GitIdentity;
  try {
    identity = await resolveGitIdentity(repoRef, rp.git.author);
  } catch (error) {
    return reject([usage('git.author', (error as Error).message)]);
  }

  const traffic = trafficMode(o, task.info, ir);
  if ('error' in traffic) return reject([usage(traffic.file, traffic.error)]);

  const storeDir = path.resolve(o.cwd, o.storeDir ?? defaultStoreDir(repo));
  const runId = o.runId ?? createRunId(o.env);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId)) return reject([usage('--run-id', `"${runId}" is not a valid run id (letters, digits, . _ -)`)]);
  const paths = runPaths(path.join(storeDir, runId));
  // A run killed while it was being made (no state.json) is removed, so its id can be used again.
  if (isHalfMadeRun(paths.dir)) await cleanHalfMadeRun(paths.dir);
  if (existsSync(paths.dir)) return reject([usage('--run-id', `a run ${runId} already exists in ${storeDir}`)]);
  mkdirSync(paths.dir, { recursive: true });
  ignoreStore(storeDir);
  const lock = acquireRunLock(paths.lock);
  const creation = beginRunCreation({ runDir: paths.dir, runId, repo, sources: { pipelineFile, repo, policyFiles: o.policyFiles.map((f) => path.resolve(o.cwd, f)), sets: o.sets }, secrets: { policy: rp, env: o.processEnv, ir } });

  const scenario = o.scenarioFile ? path.resolve(o.cwd, o.scenarioFile) : task.info.scenario;
  // Recorded with the task, so a resume starts the same scripted model.
  task.info.scenario = scenario;
  // A replay answers from its recording alone: the scripted model is not started.
  const model = scenario && traffic.mode?.kind !== 'replay' ? await startScenarioModel(scenario, paths.dir) : null;
  let ws: Workspace | null = null;
  let modelTraffic: ModelTraffic | null = null;
  try {
    const made = await createWorkspace({ repo: repoRef, runId, root: workspacesRoot(o.processEnv, o.workspacesDir), share: shareGlobs(rp, repo) });
    ws = made.ws;
    const baseTree = made.baseTree;
    noteRunWorkspace(paths.dir, ws);
    if (traffic.mode) {
      const upstream = traffic.mode.kind === 'record' ? recordUpstream(ir, model?.origin ?? null) : null;
      modelTraffic = await startModelTraffic({
        mode: traffic.mode,
        upstream: typeof upstream === 'string' ? upstream : null,
        ir,
        runId,
        runDir: paths.dir,
        workspace: ws.dir,
        branch: ws.branch,
        repo,
        secrets: collectSecrets(rp.transcripts.redact, [o.processEnv]),
      });
    }
    const now = o.env.now().toISOString();
    const state = initialState({ runId, repo, ws, baseSha: made.baseSha, ir, pipelineFile: o.pipelineFile, policyHash: policy.hash, o, task: task.info, policy: rp, now });
    state.workspace_tree = baseTree;
    const childEnv = { ...o.processEnv };
    const rt = openRuntime({
      ir,
      pipelineDir: path.dirname(pipelineFile),
      policy: rp,
      task: task.info,
      repo,
      ws,
      headTree: made.baseSha === null ? null : baseTree,
      identity,
      paths,
      state,
      env: o.env,
      childEnv,
      modelEndpoint: modelTraffic?.origin ?? model?.origin ?? null,
      signal: o.signal,
      onEvent: o.onEvent,
    });
    // The preflight's worker facts are also the fingerprint's: each `--version` runs once.
    const preflight = await preflightWorkers(ir, path.dirname(pipelineFile), o.processEnv, repo, { scripted: Boolean(model ?? modelTraffic) });
    const print = { ...fingerprint(ir, rt.modelEndpoint, pipelineFile, fingerprintWorkers(preflight.facts)), sandbox: sandboxRecord(rt.sandbox) };
    rt.cliVersions = versionsOf(print);
    const envText = toRecordJson(print);
    replaceFile(paths.env, envText, { syncData: true });
    rt.records.push(fileRecord(paths.env, 'env.json', () => envText));
    // state.json exists before the first event, so a crash at any point leaves a resumable run.
    rt.persist();
    endRunCreation(rt, creation);
    rt.append({
      type: 'run.started',
      step: null,
      milestone: null,
      attempt: null,
      schema_version: schemaVersion,
      run_id: runId,
      engine_version: engineVersion,
      pipeline: { path: o.pipelineFile, hash: ir.hash, name: ir.name },
      policy_hash: policy.hash,
      goal: task.info.goal,
      task_kind: task.info.kind,
      branch: ws.branch,
      workspace: ws.dir,
      shared: ws.shared,
      base_sha: made.baseSha,
      seed: o.seed,
      dirty_user_tree: made.dirtyUserTree,
      sandbox: sandboxRecord(rt.sandbox),
      ...(modelTraffic ? { model_traffic: modelTraffic.event } : {}),
    });
    rt.persist();
    if (rt.sandbox.blocked) preflight.blocking.push(checkSandbox(rt.sandbox));
    const end = preflight.blocking.length ? recordDoctorBlock(rt, preflight.blocking) : await driveRun(rt);
    return { kind: 'finished', ...finishRun(rt, end) };
  } catch (error) {
    // A run that failed before its first record leaves no half-made workspace behind.
    if (ws && !existsSync(paths.state)) removeWorkspace(ws.dir);
    throw error;
  } finally {
    await modelTraffic?.close();
    await model?.close();
    lock.release();
  }
}

/** The share globs of a run: the policy's, or node_modules for a repo with a package.json and no set-up. Pure apart from one stat. */
export function shareGlobs(policy: RunPolicy, repo: string): string[] {
  const share = policy.workspace.share;
  if (share !== null) return [...share];
  // A set-up installs what the workspace needs itself: linking the checkout's copy would clash.
  if (policy.workspace.setup.length > 0) return [];
  return existsSync(path.join(repo, 'package.json')) ? ['node_modules'] : [];
}

/**
 * The run store ignores itself (`.gitignore` with `*`), so runs never show up in the user's
 * `git status`, whether or not the repo was set up with `engine init`. Impure.
 */
function ignoreStore(storeDir: string): void {
  const file = path.join(storeDir, '.gitignore');
  if (!existsSync(file)) writeFileSync(file, '# Written by the engine: the run store is never committed.\n*\n');
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
function recordDoctorBlock(rt: ReturnType<typeof openRuntime>, blocking: Finding[]): LoopEnd {
  rt.append({ type: 'doctor.blocked', step: null, milestone: null, attempt: null, findings: blocking.map((f) => ({ id: f.id, status: 'block' as const, message: f.message, hint: f.hint })) });
  return { reason: 'doctor_blocked', detail: describeBlock(blocking) };
}

async function readTask(o: StartRunOptions, repo: RepoRef): Promise<{ info: TaskInfo } | { diagnostics: Diagnostic[] }> {
  const guessKind = async (): Promise<'greenfield' | 'incremental'> => {
    const head = await headSha(repo);
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
        kind: t.data.task_kind ?? (await guessKind()),
        file: o.taskFile,
        scenario: t.data.scenario ? path.resolve(path.dirname(file), t.data.scenario) : null,
        allowedRoots: t.data.allowed_roots ?? null,
        replay: t.data.replay ? path.resolve(path.dirname(file), t.data.replay) : null,
      },
    };
  }
  if (!o.goal?.trim()) return { diagnostics: [{ code: 'E_USAGE', severity: 'error', message: 'give the work to do with --task FILE or --goal TEXT', file: 'engine run', line: 0, col: 0 }] };
  return { info: { goal: o.goal, kind: await guessKind(), file: null, scenario: null, allowedRoots: null } };
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

/** Each worker's CLI version from a fingerprint. Pure. */
export function versionsOf(print: ReturnType<typeof fingerprint>): Record<string, string | null> {
  return Object.fromEntries(Object.entries(print.workers).map(([name, w]) => [name, w.version]));
}

/**
 * env.json: what resume compares before continuing a run. The workers' facts are the
 * doctor's (`gatherWorkerFacts`), gathered by the caller: start shares them with its
 * preflight, resume gathers them the same way. Impure only through the caller's facts.
 */
export function fingerprint(ir: CompiledPipeline, endpoint: string | null, pipelineFile: string, workers: ReturnType<typeof fingerprintWorkers>) {
  return {
    schema_version: schemaVersion,
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    engine_version: engineVersion,
    contract_version: contractVersion,
    pipeline_hash: ir.hash,
    pipeline_file: pipelineFile,
    workers,
    model_endpoint: endpoint ? 'scripted' : null,
  };
}
