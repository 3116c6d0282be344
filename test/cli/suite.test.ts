// test cost: about 21 s: engine suite over real task directories (scripts/group-tests.mjs starts the long files first).
// test kind: end-to-end (npm run test:e2e): whole suites of runs, one with the real codex CLI.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { engine, engineHere, readJsonl } from '../helpers/run-fixture.js';

// `engine suite` runs tasks for real, each in a scratch repo: the hostile task with the real
// codex CLI against the scripted model, and a fake-agent pipeline for repeats that differ.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const hostile = path.join(root, 'tasks', 'hostile');
const golden = path.join(root, 'tasks', 'golden');
const scratch = (t: { teardown(fn: () => void): void }) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-suite-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const cleanup = (t: { teardown(fn: () => void): void }, base: string) => t.teardown(() => rmSync(base, { recursive: true, force: true }));

t.test('a directory of hostile tasks, repeated: each ends as declared, repeats identical', async (t) => {
  // One task of tasks/hostile/ in a directory of its own (the whole set runs in test/e2e/hostile.test.ts).
  const dir = scratch(t);
  mkdirSync(path.join(dir, 'hostile'));
  for (const f of ['garbage-markers.task.yaml', 'garbage-markers.scenario.yaml']) cpSync(path.join(hostile, f), path.join(dir, 'hostile', f));
  const r = engine(['suite', path.join(dir, 'hostile'), '--repeat', '2', '--json'], { cwd: dir });
  t.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  cleanup(t, doc.base);
  t.equal(doc.passed, 1);
  t.equal(doc.failed, 0);
  t.equal(doc.repeat, 2);
  const [task] = doc.tasks;
  t.equal(task.task, 'garbage-markers');
  t.equal(task.expect, 'parse_failed');
  t.same(task.runs.map((run: { ended: string; ok: boolean; exit_code: number; layer: string }) => [run.ended, run.ok, run.exit_code, run.layer]), [
    ['parse_failed', true, 1, 'engine_check'],
    ['parse_failed', true, 1, 'engine_check'],
  ]);
  t.not(task.runs[0].repo, task.runs[1].repo, 'each repeat has a scratch repo of its own');
  t.same(task.determinism, { compared: 2, planned_paths: true, test_outcomes: true, checkpoint_trees: true, differences: [] });
  const state = JSON.parse(readFileSync(path.join(task.runs[0].run_dir, 'state.json'), 'utf8'));
  t.equal(state.stop_reason, 'parse_failed', 'the run records are there to look at');
  t.same(doc.totals.hostile.tasks, ['garbage-markers'], 'its parse failures are deliberate: counted apart');
  t.equal(doc.totals.parse_failures, 0);
  t.equal(doc.totals.hostile.parse_failures, task.runs[0].parse_failures + task.runs[1].parse_failures);
  t.ok(task.runs[0].parse_failures > 0);
});

// Two golden tasks once each through the real CLIs, from their seed projects, beside a copy
// of one that declares a plan and a size it does not have: the copy fails and says why.
t.test('golden tasks from seed projects: declared plan and size checked, auto-approve and a risk trigger as declared', async (t) => {
  const dir = scratch(t);
  const copy = parse(readFileSync(path.join(golden, 'docs-only.task.yaml'), 'utf8'));
  copy.name = 'declares-wrong';
  copy.scenario = path.join(golden, copy.scenario);
  copy.start_from = path.join(golden, copy.start_from);
  copy.expect = { stop: 'completed', planned_paths: ['README.md', 'docs/api.md', 'docs/other.md'], max_files: 2 };
  writeFileSync(path.join(dir, 'declares-wrong.task.yaml'), stringify(copy));
  cpSync(path.join(golden, 'docs-only.policy.yaml'), path.join(dir, 'declares-wrong.policy.yaml'));
  const tasks = [path.join(golden, 'docs-only.task.yaml'), path.join(golden, 'risk-trigger.task.yaml'), path.join(dir, 'declares-wrong.task.yaml')];
  const r = engine(['suite', ...tasks, '--jobs', '3', '--json'], { cwd: dir });
  t.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  cleanup(t, doc.base);
  t.match(r.stderr, /^suite: 3 task\(s\) × 1, 3 at a time/m, 'progress on stderr with --json');
  const [docs, risk, wrong] = doc.tasks;

  t.equal(docs.ok, true, JSON.stringify(docs.runs[0].problems));
  t.same(docs.planned_paths, ['CHANGELOG.md', 'README.md', 'docs/api.md']);
  t.same(docs.runs[0].changed_paths, ['CHANGELOG.md', 'README.md', 'docs/api.md'], "the seed's files are the starting point, not changes");
  const docsEvents = readJsonl(path.join(docs.runs[0].run_dir, 'timeline.jsonl'));
  t.equal(docsEvents.filter((e) => e.type === 'review.skipped').length, 3, 'each docs milestone auto-approved');
  t.same(docsEvents.filter((e) => e.type === 'worker.finished').map((e) => e.step), ['plan', 'implement', 'implement', 'implement'], 'the reviewer is never called');
  t.equal(docs.runs[0].calls, 4);

  t.equal(risk.ok, true, JSON.stringify(risk.runs[0].problems));
  const riskEvents = readJsonl(path.join(risk.runs[0].run_dir, 'timeline.jsonl'));
  const verifies = riskEvents.filter((e) => e.type === 'verify.finished').map((e) => [e.milestone, e.tier, e.pass]);
  t.same(verifies, [[1, 'tier1', false], [1, 'tier1', true], [2, 'tier0', true], [2, 'tier2', true]], "tier1 for the payment change, whose rule fails the first attempt; tier0 for the receipt");
  t.same(riskEvents.filter((e) => e.type === 'worker.finished').map((e) => e.step), ['plan', 'implement', 'implement', 'review', 'implement'], 'reviewed under the risk trigger, auto-approved without');
  t.equal(risk.runs[0].changed_paths.length, 4);

  t.equal(wrong.ok, false);
  t.equal(wrong.runs[0].ended, 'completed', 'it completed, yet is not as declared');
  t.same(wrong.runs[0].problems, [
    "planned paths differ from the task's: missing docs/other.md; not declared CHANGELOG.md",
    'changed 3 files, more than max_files 2: CHANGELOG.md, README.md, docs/api.md',
  ]);
  t.match(r.stderr, /declares-wrong #1: completed \(expected completed\) FAILED — run \S+: planned paths differ/);

  t.match(doc.totals, { tasks: 3, tasks_passed: 2, runs: 3, runs_passed: 2, worker_calls: 13, worker_calls_passed: 9, parse_failures: 0, violations_landed: 0, path_variance: 0, outcome_variance: 0 });
  const summary = spawnSync(process.execPath, [path.join(root, 'scripts', 'suite-report.mjs'), writeDoc(dir, r.stdout), '42'], { encoding: 'utf8' });
  t.match(summary.stdout, /^2 passed, 1 failed — runs 2\/3 as declared, worker calls 9\/13 in passing runs$/m, 'the saved JSON gives the same report and closing line');
  t.match(summary.stdout, /^suite wall time: 42 s$/m);
});

t.test('a task that does not end as declared fails the suite (exit 1) and says how it ended', async (t) => {
  const dir = scratch(t);
  cpSync(path.join(hostile, 'garbage-markers.scenario.yaml'), path.join(dir, 'garbage-markers.scenario.yaml'));
  const task = parse(readFileSync(path.join(hostile, 'garbage-markers.task.yaml'), 'utf8'));
  task.expect = 'completed';
  task.name = 'expects-too-much';
  writeFileSync(path.join(dir, 'expects-too-much.task.yaml'), stringify(task));
  const r = engine(['suite', path.join(dir, 'expects-too-much.task.yaml')], { cwd: dir });
  t.equal(r.code, 1, r.stderr);
  t.match(r.stderr, /\[1\/1\] expects-too-much #1: parse_failed \(expected completed\) FAILED/);
  t.match(r.stdout, /^FAIL expects-too-much: expected completed, ended parse_failed \(0\/1 as declared\)$/m);
  t.match(r.stdout, /^0 passed, 1 failed — runs 0\/1 as declared, worker calls 0\/\d+ in passing runs$/m);
  cleanup(t, /scratch repos: (\S+)/.exec(r.stdout)![1]!);
});

t.test('the right stop by the wrong layer fails the task and says why', async (t) => {
  const dir = scratch(t);
  cpSync(path.join(hostile, 'garbage-markers.scenario.yaml'), path.join(dir, 'garbage-markers.scenario.yaml'));
  const task = parse(readFileSync(path.join(hostile, 'garbage-markers.task.yaml'), 'utf8'));
  task.expect = { stop: 'parse_failed', layer: 'worker' };
  task.name = 'wrong-layer';
  writeFileSync(path.join(dir, 'wrong-layer.task.yaml'), stringify(task));
  const r = engine(['suite', path.join(dir, 'wrong-layer.task.yaml')], { cwd: dir });
  t.equal(r.code, 1, r.stderr);
  t.match(r.stderr, /\[1\/1\] wrong-layer #1: parse_failed \(expected parse_failed by worker\) FAILED — run \S+: not stopped by worker: no step finished/);
  t.match(r.stdout, /^FAIL wrong-layer: expected parse_failed by worker, ended parse_failed \(0\/1 as declared\)$/m);
  cleanup(t, /scratch repos: (\S+)/.exec(r.stdout)![1]!);
});

t.test('repeats that differ fail the task and name the facet', async (t) => {
  const dir = scratch(t);
  const pipeline = parse(readFileSync(path.join(root, 'pipelines', 'default.pipeline.yaml'), 'utf8'));
  const worker = { use: 'command', bin: process.execPath, args: [path.join(root, 'test', 'fixtures', 'workers', 'random-agent.mjs')], idle_timeout_s: 20, timeout_s: 60 };
  pipeline.workers = { planner: worker, implementer: worker, reviewer: worker };
  writeFileSync(path.join(dir, 'random.pipeline.yaml'), stringify(pipeline));
  mkdirSync(path.join(dir, 'tasks'));
  writeFileSync(path.join(dir, 'tasks', 'random.task.yaml'), stringify({ apiVersion: 'engine/v1', kind: 'Task', name: 'random', goal: 'write r', task_kind: 'incremental' }));
  writeFileSync(
    path.join(dir, 'tasks', 'random.policy.yaml'),
    stringify({ apiVersion: 'engine/v1', kind: 'Policy', auto_approve: { enabled: false }, verification: { tiers: { tier0: { commands: ['test -f src/r.txt'] } } } }),
  );
  const r = engine(['suite', 'tasks', '--repeat', '2', '--pipeline', 'random.pipeline.yaml', '--json'], { cwd: dir });
  t.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  cleanup(t, doc.base);
  const [task] = doc.tasks;
  t.same(task.runs.map((run: { ended: string }) => run.ended), ['completed', 'completed'], 'both runs completed');
  t.equal(task.ok, false);
  t.same(task.determinism.differences, ['checkpoint trees: repeat 2 differs from repeat 1']);
  t.equal(task.determinism.planned_paths, true);
  t.equal(task.determinism.test_outcomes, true);
});

t.test('bad input: no task, a bad task file, an empty directory, a bad --repeat (exit 2, nothing runs)', async (t) => {
  const dir = scratch(t);
  writeFileSync(path.join(dir, 'bad.task.yaml'), 'apiVersion: engine/v1\nkind: Task\ngoal: x\nexpect: finished\n');
  mkdirSync(path.join(dir, 'empty'));
  const none = await engineHere(['suite'], { cwd: dir });
  t.equal(none.code, 2);
  t.match(none.stderr, /E_USAGE name at least one task file/);
  const bad = await engineHere(['suite', 'bad.task.yaml'], { cwd: dir });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /bad.task.yaml:4:9: error E_SCHEMA `expect` must be one of/);
  const empty = await engineHere(['suite', 'empty'], { cwd: dir });
  t.equal(empty.code, 2);
  t.match(empty.stderr, /no \*\.task\.yaml under empty/);
  const repeat = await engineHere(['suite', 'bad.task.yaml', '--repeat', '0'], { cwd: dir });
  t.equal(repeat.code, 2);
  t.match(repeat.stderr, /--repeat must be at least 1/);
  const missing = await engineHere(['suite', 'nope.task.yaml'], { cwd: dir });
  t.equal(missing.code, 2);
  t.match(missing.stderr, /nope.task.yaml/);
  const jobs = await engineHere(['suite', 'bad.task.yaml', '--jobs', '0'], { cwd: dir });
  t.equal(jobs.code, 2);
  t.match(jobs.stderr, /--jobs must be at least 1/);
  writeFileSync(path.join(dir, 'no-seed.task.yaml'), 'apiVersion: engine/v1\nkind: Task\ngoal: x\nstart_from: seeds/none\n');
  const seed = await engineHere(['suite', 'no-seed.task.yaml'], { cwd: dir });
  t.equal(seed.code, 2, 'a start_from that is not a directory is bad input');
  t.match(seed.stderr, /no-seed.task.yaml.*E_FILE start_from `seeds\/none` is not a directory/);
  t.notMatch(seed.stderr, /scratch repos under/, 'nothing ran');
  const pipeline = await engineHere(['suite', hostile, '--pipeline', 'nope.pipeline.yaml'], { cwd: dir });
  t.equal(pipeline.code, 2, 'an unreadable pipeline is invalid input');
  t.match(pipeline.stderr, /nope.pipeline.yaml.*E_FILE/);
  t.notMatch(pipeline.stderr, /scratch repos under/, 'nothing ran');
});

/** The suite's JSON saved as CI saves it. */
function writeDoc(dir: string, text: string): string {
  const file = path.join(dir, 'suite.json');
  writeFileSync(file, text);
  return file;
}
