import { appendFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../vocabulary/diagnostics.js';
import { hasErrors } from '../vocabulary/diagnostics.js';
import { loadTask } from '../config/load-typed.js';
import { resolvePolicy } from '../config/policy/resolve-policy.js';
import { branchSha, EMPTY_TREE, ensureGitRepo } from '../git/repo.js';
import { checkChanges, type Violation } from '../governance/check-changes.js';
import { runGit } from '../git/run-git.js';
import { WHOLE_DIFF } from '../git/changes.js';
import { runEnvFrom } from '../runtime/clock.js';
import { startRun } from '../runtime/start-run.js';
import { readTimeline } from '../store/timeline.js';
import { inShard, shardPath, type Shard } from './shard-suite.js';
import { expectOf, judgeRun, outcomeOf, type SuiteRun, type TaskExpect } from './judge-suite.js';
import { compareRepeats, factsOf, type Determinism, type RepeatFacts } from '../kpi/compare-repeats.js';
import { judgeLayer, repoChanges, type Layer, type RepoRefs } from './judge-layer.js';
import { compareText } from '../util/compare-text.js';
import { readTextOrNull } from '../util/read-or-null.js';

/** A task of a suite, checked before anything runs. */
export interface SuiteTask {
  file: string;
  name: string;
  /** The stop reason every run must end with. */
  expect: string;
  /** What else each run is checked for (`expect` in its object form). */
  declared: TaskExpect;
  /** The layer that must stop the run (`expect: {stop, layer}`), or null when not declared. */
  layer: Layer | null;
  kind: 'greenfield' | 'incremental' | null;
  /** `<name>.policy.yaml` next to the task file, when there is one. */
  policyFile: string | null;
  /** The task's `start_from` directory, resolved: its files are each scratch repo's first commit. */
  startFrom: string | null;
  /** The task's `allowed_roots`, for the check of what landed. */
  allowedRoots: string[] | null;
}

export interface SuiteTaskResult {
  task: string;
  file: string;
  /** The task's file relative to the suite's directory: what sharding hashes. */
  path: string;
  expect: string;
  /** The repeats of this task the suite (its shard) runs. */
  repeats: number[];
  /** The task's declared plan (sorted) and file limit, null where it declares none. */
  planned_paths: string[] | null;
  max_files: number | null;
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
    const declared = expectOf(loaded.data.expect);
    // The task's rules have checked that start_from is a directory (engine/config/task-rules.ts).
    const startFrom = loaded.data.start_from === undefined ? null : path.resolve(path.dirname(file), loaded.data.start_from);
    tasks.push({
      file,
      name: loaded.data.name ?? path.basename(file).replace(/\.task\.yaml$/, ''),
      expect: declared.stop,
      declared,
      layer: typeof loaded.data.expect === 'object' ? (loaded.data.expect.layer ?? null) : null,
      kind: loaded.data.task_kind ?? null,
      policyFile: policyFile !== file && existsSync(policyFile) ? policyFile : null,
      startFrom,
      allowedRoots: loaded.data.allowed_roots ?? null,
    });
  }
  return { tasks, diagnostics };
}

function findTaskFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => compareText(a.name, b.name))
    .flatMap((e) => (e.isDirectory() ? findTaskFiles(path.join(dir, e.name)) : e.name.endsWith('.task.yaml') ? [path.join(dir, e.name)] : []));
}

export interface RunSuiteOptions {
  tasks: readonly SuiteTask[];
  repeat: number;
  /** Runs at a time (default 1). Each run has its own scratch repo and scripted model; all record in `store`. */
  jobs?: number;
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
  /** Called after each run, in the order runs finish. */
  onRun?: (task: SuiteTask, run: SuiteRun, index: number, total: number) => void;
}

/**
 * Run every task `repeat` times (with a shard, only the task × repeat pairs it owns), each
 * run in a scratch repo of its own, up to `jobs` at a time (task by task, repeat by repeat),
 * every run recorded in one store, and judge each task: every run as declared and, with
 * repeats, the planned paths, test outcomes and checkpoint trees identical. Tasks the shard
 * runs no repeat of are left out. A signal stops new runs from starting; the report covers
 * the tasks with a finished run. Impure.
 */
export async function runSuite(o: RunSuiteOptions): Promise<{ results: SuiteTaskResult[]; interrupted: boolean }> {
  const planned = o.tasks.map((task) => {
    const at = shardPath(task.file, o.cwd);
    return { task, path: at, repeats: Array.from({ length: o.repeat }, (_, i) => i + 1).filter((r) => inShard(o.shard, at, r)) };
  });
  const work = planned.flatMap((p, taskIndex) => p.repeats.map((repeat) => ({ ...p, taskIndex, repeat })));
  const done = new Map<string, { run: SuiteRun; facts: RepeatFacts | null }>();
  let next = 0;
  let index = 0;
  const worker = async () => {
    while (next < work.length && !o.signal.aborted) {
      const { task, path: taskPath, taskIndex, repeat } = work[next++]!;
      const dir = path.join(o.base, `${String(taskIndex + 1).padStart(2, '0')}-${task.name.replace(/[^A-Za-z0-9._-]+/g, '-')}-r${repeat}`);
      const { run, timeline } = await runOnce(o, task, repeat, dir);
      done.set(`${taskIndex}#${repeat}`, { run, facts: timeline ? factsOf(timeline) : null });
      recordSuiteRun(o.store, { task, path: taskPath, shard: o.shard, run });
      o.onRun?.(task, run, ++index, work.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.jobs ?? 1, work.length)) }, worker));
  const results: SuiteTaskResult[] = [];
  for (const [taskIndex, { task, path: taskPath, repeats }] of planned.entries()) {
    const finished = repeats.flatMap((repeat) => {
      const d = done.get(`${taskIndex}#${repeat}`);
      return d ? [{ repeat, ...d }] : [];
    });
    if (finished.length === 0) continue;
    const runs = finished.map((f) => f.run);
    const withFacts = finished.filter((f) => f.facts !== null);
    const determinism = compareRepeats(
      withFacts.map((f) => f.facts!),
      withFacts.map((f) => f.repeat),
    );
    const ok = runs.length === repeats.length && runs.every((r) => r.ok) && determinism.differences.length === 0;
    results.push({ task: task.name, file: task.file, path: taskPath, expect: task.expect, planned_paths: task.declared.planned_paths, max_files: task.declared.max_files, repeats, runs, determinism, ok });
  }
  return { results, interrupted: o.signal.aborted };
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
  const { repo, start } = await prepareRepo(dir, task);
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
    const none = { calls: 0, parse_failures: 0, governance_violations: 0, planned_paths: [], changed_paths: [], landed: [] };
    return { run: { repeat, run_id: null, repo, run_dir: null, ended: 'rejected', exit_code: result.exitCode, detail, ...none, problems: [`rejected: ${detail}`], ok: false }, timeline: null };
  }
  const timeline = readTimeline(path.join(result.runDir, 'timeline.jsonl'));
  const changed = await changedOnBranch(repo, start, `engine/${result.runId}`);
  const outcome = { ended: result.stopReason, ...outcomeOf(timeline), changed_paths: changed, landed: await landedViolations(o, task, repo, changed) };
  const problems = judgeRun(outcome, task.declared);
  // Whatever the task: the user's repo gains the run's branch and nothing else.
  const after = await readRefs(repo);
  const repoChanged = repoChanges(before, after);
  if (repoChanged.length) problems.push(`the user's repo changed: ${repoChanged.join('; ')}`);
  const layerWhy = task.layer ? judgeLayer(task.layer, result.stopReason, { events: timeline, callOutputs: readCallOutputs(result.runDir), repoBefore: before, repoAfter: after }) : null;
  if (layerWhy) problems.push(`not stopped by ${task.layer}: ${layerWhy}`);
  const run: SuiteRun = { repeat, run_id: result.runId, repo, run_dir: result.runDir, exit_code: result.exitCode, detail: result.detail, ...outcome, problems, ok: problems.length === 0 };
  if (task.layer) run.layer = task.layer;
  return { run, timeline };
}

/** HEAD and every ref of the user's repo, read through git. Impure. */
async function readRefs(repo: string): Promise<RepoRefs> {
  const target = { gitDir: path.join(repo, '.git'), workTree: repo };
  const head = (readTextOrNull(path.join(repo, '.git', 'HEAD'), 4096) ?? '').trim();
  const r = await runGit(target, ['for-each-ref', '--format=%(refname) %(objectname)']);
  return { head, refs: r.stdout.split('\n').filter(Boolean).sort() };
}

/** Each worker call's recorded events and stderr, for the layer check. Impure (reads the run store). */
function readCallOutputs(runDir: string): { events: string; stderr: string }[] {
  const calls = path.join(runDir, 'calls');
  if (!existsSync(calls)) return [];
  // As regular files only (a hostile task's worker without the OS sandbox could leave a FIFO
  // there, which would hold the suite); their size is the transcript cap the engine wrote them under.
  const read = (file: string) => readTextOrNull(file) ?? '';
  return readdirSync(calls)
    .sort()
    .map((c) => ({ events: read(path.join(calls, c, 'events.jsonl')), stderr: read(path.join(calls, c, 'stderr.log')) }));
}

/**
 * The paths that differ between the starting point and the run's branch in the scratch repo,
 * sorted; none when the run left no branch (nothing of it landed). Impure (runs git).
 */
async function changedOnBranch(repo: string, start: string, branch: string): Promise<string[]> {
  const target = { gitDir: path.join(repo, '.git'), workTree: repo };
  const head = await branchSha(target, branch);
  if (head === null) return [];
  const diff = await runGit(target, ['diff-tree', ...WHOLE_DIFF, '-r', '-z', '--no-renames', '--name-only', start, head]);
  return diff.stdout.split('\0').filter(Boolean).sort();
}

/**
 * The changed paths that break the governance rules the run had (its policy, the task's
 * roots): a violation on the branch, which the engine should have stopped. Impure (reads the
 * policy files).
 */
async function landedViolations(o: RunSuiteOptions, task: SuiteTask, repo: string, changed: readonly string[]): Promise<Violation[]> {
  if (changed.length === 0) return [];
  const { policy } = await resolvePolicy({ repo, files: task.policyFile ? [task.policyFile] : [], sets: [], cwd: o.cwd, env: o.processEnv });
  if (!policy) return [];
  const g = policy.governance;
  return checkChanges(changed, {
    allowedRoots: g.allowed_roots,
    taskRoots: task.allowedRoots,
    protected: g.protected,
    lockfiles: g.lockfiles,
    allowDeps: g.allow_deps,
    frameworkPaths: g.framework_paths,
    ownRepo: false,
    readOnly: false,
  });
}

/** A FIFO, a socket or a device (not followed through a link). Impure (lstat). */
function isSpecialFile(p: string): boolean {
  const st = lstatSync(p, { throwIfNoEntry: false });
  return st !== undefined && !st.isFile() && !st.isDirectory() && !st.isSymbolicLink();
}

/**
 * A new scratch repo for one run, and its starting point (a commit, or the empty tree): the
 * task's `start_from` files in one commit; else a README in one commit for an incremental
 * task; else empty. The commit has a fixed author and dates, so repeats start from the same
 * commit. Impure.
 */
export async function prepareRepo(dir: string, task: SuiteTask): Promise<{ repo: string; start: string }> {
  mkdirSync(dir, { recursive: true });
  const { root: repo } = await ensureGitRepo(dir);
  // Its files only, never a `.git` (at any depth): copied over the scratch repo's own, its
  // config's filter drivers ran at the `git add` below, as the engine, outside any sandbox.
  // Nor a FIFO, a socket or a device: git tracks none, and the copy threw on a FIFO (exit 70).
  if (task.startFrom !== null) cpSync(task.startFrom, repo, { recursive: true, filter: (src) => path.basename(src) !== '.git' && !isSpecialFile(src) });
  else if (task.kind === 'incremental') writeFileSync(path.join(repo, 'README.md'), `# ${task.name}\n`);
  else return { repo, start: EMPTY_TREE };
  const env = { GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z' };
  const identity = ['-c', 'user.name=engine suite', '-c', 'user.email=suite@engine.invalid', '-c', 'commit.gpgsign=false'];
  const target = { gitDir: path.join(repo, '.git'), workTree: repo };
  await runGit(target, ['add', '-A']);
  await runGit(target, [...identity, 'commit', '-q', '--no-verify', '--allow-empty', '-m', 'suite: starting point'], { env });
  const head = await runGit(target, ['rev-parse', 'HEAD']);
  return { repo, start: head.stdout.trim() };
}
