import t from 'tap';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { engine } from '../helpers/run-fixture.js';

// `engine suite` runs tasks for real, each in a scratch repo: the hostile task with the real
// codex CLI against the scripted model, and a fake-agent pipeline for repeats that differ.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const hostile = path.join(root, 'tasks', 'hostile');
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
  t.match(r.stdout, /^0 passed, 1 failed$/m);
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
  const none = engine(['suite'], { cwd: dir });
  t.equal(none.code, 2);
  t.match(none.stderr, /E_USAGE name at least one task file/);
  const bad = engine(['suite', 'bad.task.yaml'], { cwd: dir });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /bad.task.yaml:4:9: error E_SCHEMA `expect` must be one of/);
  const empty = engine(['suite', 'empty'], { cwd: dir });
  t.equal(empty.code, 2);
  t.match(empty.stderr, /no \*\.task\.yaml under empty/);
  const repeat = engine(['suite', 'bad.task.yaml', '--repeat', '0'], { cwd: dir });
  t.equal(repeat.code, 2);
  t.match(repeat.stderr, /--repeat must be at least 1/);
  const missing = engine(['suite', 'nope.task.yaml'], { cwd: dir });
  t.equal(missing.code, 2);
  t.match(missing.stderr, /nope.task.yaml/);
  const pipeline = engine(['suite', hostile, '--pipeline', 'nope.pipeline.yaml'], { cwd: dir });
  t.equal(pipeline.code, 2, 'an unreadable pipeline is invalid input');
  t.match(pipeline.stderr, /nope.pipeline.yaml.*E_FILE/);
  t.notMatch(pipeline.stderr, /scratch repos under/, 'nothing ran');
});
