import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../config/diagnostics.js';
import { hasErrors } from '../config/diagnostics.js';
import { loadTask } from '../config/load-typed.js';
import { ensureGitRepo } from '../git/repo.js';
import { runGit } from '../git/run-git.js';
import { runEnvFrom } from '../runtime/clock.js';
import { startRun } from '../runtime/start-run.js';
import { readTimeline } from '../store/timeline.js';
import { inShard, shardPath, type Shard } from './shard-suite.js';
import { compareRepeats, factsOf, judgeRun, type Determinism, type RepeatFacts, type SuiteRun } from './judge-suite.js';
import { judgeLayer, repoChanges, type Layer, type RepoRefs } from './judge-layer.js';

/** A task of a suite, checked before anything runs. */
export interface SuiteTask {
  file: string;
  name: string;
  expect: string;
  /** The layer that must stop the run (`expect: {stop, layer}`), or null when not declared. */
  layer: Layer | null;
  kind: 'greenfield' | 'incremental' | null;
  /** `<name>.policy.yaml` next to the task file, when there is one. */
  policyFile: string | null;
}

export interface SuiteTaskResult {
  task: string;
  file: string;
  /** The task's file relative to the suite's directory: what sharding hashes. */
  path: string;
  expect: string;
  /** The repeats of this task the suite (its shard) runs. */
  repeats: number[];
  runs: SuiteRun[];
  determinism: Determinism;
  ok: boolean;
}

/**
 * The task files named by the arguments: files as given, directories searched for
 * `*.task.yaml` (recursively, sorted). Every task is loaded and validated first; one bad task
 * rejects the suite before anything runs. Impure (reads files).
 */
export async function loadSuiteTasks(args: readonly string[], cwd: string): Promise<{ tasks: SuiteTask[]; diagnostics: Diagnostic[] }> {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const arg of args) {
    const full = path.resolve(cwd, arg);
    if (existsSync(full) && statSync(full).isDirectory()) {
      const found = findTaskFiles(full);
      if (found.length === 0) diagnostics.push({ code: 'E_USAGE', severity: 'error', message: `no *.task.yaml under ${arg}`, file: arg, line: 0, col: 0 });
      files.push(...found);
    } else files.push(full);
  }
  const tasks: SuiteTask[] = [];
  for (const file of [...new Set(files)]) {
    const loaded = await loadTask(file);
    diagnostics.push(...loaded.diagnostics);
    if (!loaded.data || hasErrors(loaded.diagnostics)) continue;
    const policyFile = file.replace(/\.task\.yaml$/, '.policy.yaml');
    tasks.push({
      file,
      name: loaded.data.name ?? path.basename(file).replace(/\.task\.yaml$/, ''),
      expect: typeof loaded.data.expect === 'object' ? loaded.data.expect.stop : (loaded.data.expect ?? 'completed'),
      layer: typeof loaded.data.expect === 'object' ? loaded.data.expect.layer : null,
      kind: loaded.data.task_kind ?? null,
      policyFile: policyFile !== file && existsSync(policyFile) ? policyFile : null,
    });
  }
  return { tasks, diagnostics };
}

function findTaskFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? findTaskFiles(path.join(dir, e.name)) : e.name.endsWith('.task.yaml') ? [path.join(dir, e.name)] : []));
}

export interface RunSuiteOptions {
  tasks: readonly SuiteTask[];
  repeat: number;
  pipelineFile: string;
  /** Where the scratch repos go: <base>/<task>-<repeat>. */
  base: string;
  /** The run store every run goes to (one for the whole suite). */
  store: string;
  /** Run only this shard's runs (null: all). */
  shard: Shard | null;
  cwd: string;
  processEnv: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** Called after each run. */
  onRun?: (task: SuiteTask, run: SuiteRun, index: number, total: number) => void;
}

/**
 * Run every task `repeat` times (with a shard, only the task × repeat pairs it owns), one
 * after another, each in a scratch repo of its own, every run recorded in one store, and
 * judge each task: every run ended as the task expects and, with repeats, the planned paths,
 * test outcomes and checkpoint trees are identical. Tasks the shard runs no repeat of are
 * left out. Stops early on a signal. Impure.
 */
export async function runSuite(o: RunSuiteOptions): Promise<{ results: SuiteTaskResult[]; interrupted: boolean }> {
  const results: SuiteTaskResult[] = [];
  const planned = o.tasks.map((task) => {
    const at = shardPath(task.file, o.cwd);
    return { task, path: at, repeats: Array.from({ length: o.repeat }, (_, i) => i + 1).filter((r) => inShard(o.shard, at, r)) };
  });
  const total = planned.reduce((n, p) => n + p.repeats.length, 0);
  let index = 0;
  for (const [taskIndex, { task, path: taskPath, repeats }] of planned.entries()) {
    if (!repeats.length) continue;
    const runs: SuiteRun[] = [];
    const facts: RepeatFacts[] = [];
    const compared: number[] = [];
    for (const repeat of repeats) {
      if (o.signal.aborted) break;
      const dir = path.join(o.base, `${String(taskIndex + 1).padStart(2, '0')}-${task.name.replace(/[^A-Za-z0-9._-]+/g, '-')}-r${repeat}`);
      const { run, timeline } = await runOnce(o, task, repeat, dir);
      runs.push(run);
      if (timeline) {
        facts.push(factsOf(timeline));
        compared.push(repeat);
      }
      recordSuiteRun(o.store, { task, path: taskPath, shard: o.shard, run });
      o.onRun?.(task, run, ++index, total);
    }
    const determinism = compareRepeats(facts, compared);
    const ok = runs.length === repeats.length && runs.every((r) => r.ok) && determinism.differences.length === 0;
    results.push({ task: task.name, file: task.file, path: taskPath, expect: task.expect, repeats, runs, determinism, ok });
    if (o.signal.aborted) return { results, interrupted: true };
  }
  return { results, interrupted: false };
}

/** The file of a run store that says which suite task and repeat each of its runs was. */
export const SUITE_RUNS = 'suite.jsonl';

/** Make `<store>/suite.jsonl` if it is not there (empty). Impure. */
export function touchSuiteRuns(store: string): void {
  appendFileSync(path.join(store, SUITE_RUNS), '');
}

/**
 * One line in `<store>/suite.jsonl` for a suite run, so a store (or several pooled) says which
 * task, repeat and shard each run was: `{v, run_id, task, path, repeat, shard, expect, ended,
 * ok}`. A run the engine rejected has no run id and gets no line. Impure (appends).
 */
function recordSuiteRun(store: string, r: { task: SuiteTask; path: string; shard: Shard | null; run: SuiteRun }): void {
  if (!r.run.run_id) return;
  const line = {
    v: 1,
    run_id: r.run.run_id,
    task: r.task.name,
    path: r.path,
    repeat: r.run.repeat,
    shard: r.shard ? `${r.shard.index}/${r.shard.count}` : null,
    expect: r.task.expect,
    ended: r.run.ended,
    ok: r.run.ok,
  };
  mkdirSync(store, { recursive: true });
  appendFileSync(path.join(store, SUITE_RUNS), `${JSON.stringify(line)}\n`);
}

async function runOnce(o: RunSuiteOptions, task: SuiteTask, repeat: number, dir: string): Promise<{ run: SuiteRun; timeline: ReturnType<typeof readTimeline> | null }> {
  const repo = await prepareRepo(dir, task);
  const before = await readRefs(repo);
  const result = await startRun({
    pipelineFile: o.pipelineFile,
    repo,
    taskFile: task.file,
    policyFiles: task.policyFile ? [task.policyFile] : [],
    sets: [],
    storeDir: o.store,
    seed: 0,
    cwd: o.cwd,
    processEnv: o.processEnv,
    env: runEnvFrom(o.processEnv),
    signal: o.signal,
  });
  if (result.kind === 'rejected') {
    const detail = result.diagnostics.map((d) => d.message).join('; ');
    return { run: { repeat, run_id: null, repo, run_dir: null, ended: 'rejected', exit_code: result.exitCode, detail, ok: false }, timeline: null };
  }
  const ended = result.stopReason;
  const timeline = readTimeline(path.join(result.runDir, 'timeline.jsonl'));
  const after = await readRefs(repo);
  // Whatever the task: the user's repo gains the run's branch and nothing else.
  const landed = repoChanges(before, after);
  const layerWhy = task.layer ? judgeLayer(task.layer, ended, { events: timeline, callOutputs: readCallOutputs(result.runDir), repoBefore: before, repoAfter: after }) : null;
  const ok = judgeRun(ended, task.expect) && landed.length === 0 && layerWhy === null;
  const why = landed.length ? `the user's repo changed: ${landed.join('; ')}` : layerWhy ? `not stopped by ${task.layer}: ${layerWhy}` : null;
  const run: SuiteRun = { repeat, run_id: result.runId, repo, run_dir: result.runDir, ended, exit_code: result.exitCode, detail: why && judgeRun(ended, task.expect) ? why : result.detail, ok };
  if (task.layer) run.layer = task.layer;
  return { run, timeline };
}

/** HEAD and every ref of the user's repo, read through git. Impure. */
async function readRefs(repo: string): Promise<RepoRefs> {
  const target = { gitDir: path.join(repo, '.git'), workTree: repo };
  const head = readFileSync(path.join(repo, '.git', 'HEAD'), 'utf8').trim();
  const r = await runGit(target, ['for-each-ref', '--format=%(refname) %(objectname)']);
  return { head, refs: r.stdout.split('\n').filter(Boolean).sort() };
}

/** Each worker call's recorded events and stderr, for the layer check. Impure (reads the run store). */
function readCallOutputs(runDir: string): { events: string; stderr: string }[] {
  const calls = path.join(runDir, 'calls');
  if (!existsSync(calls)) return [];
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  return readdirSync(calls)
    .sort()
    .map((c) => ({ events: read(path.join(calls, c, 'events.jsonl')), stderr: read(path.join(calls, c, 'stderr.log')) }));
}

/**
 * A new scratch repo for one run: empty for a greenfield task (or one that does not say),
 * with one commit (a README, fixed author and dates so repeats start from the same commit)
 * for an incremental one. Impure.
 */
async function prepareRepo(dir: string, task: SuiteTask): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const { root: repo } = await ensureGitRepo(dir);
  if (task.kind !== 'incremental') return repo;
  writeFileSync(path.join(repo, 'README.md'), `# ${task.name}\n`);
  const env = { GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z' };
  const identity = ['-c', 'user.name=engine suite', '-c', 'user.email=suite@engine.invalid', '-c', 'commit.gpgsign=false'];
  const target = { gitDir: path.join(repo, '.git'), workTree: repo };
  await runGit(target, ['add', 'README.md']);
  await runGit(target, [...identity, 'commit', '-q', '--no-verify', '-m', 'suite: starting point'], { env });
  return repo;
}
