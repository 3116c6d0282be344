// test cost: about 15 s: the demo: the real claude and codex (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import path from 'node:path';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { childEnv, engineBin, readJsonl } from '../helpers/run-fixture.js';
import { packageRoot } from '../../engine/paths.js';
import { initRepo, scratchBase, spawnEngine, type EngineResult } from './helpers/spawn-engine.js';

// `npm run demo` as a user runs it, and the golden ambiguous bootstrap it runs, three times
// from scratch with the same clock and seed: every run completes, and the plan, the test
// outcomes and the checkpoint trees are the same each time (contract §8, determinism).
const task = path.join(packageRoot, 'tasks/golden/ambiguous-bootstrap.task.yaml');
const policy = path.join(packageRoot, 'tasks/golden/ambiguous-bootstrap.policy.yaml');
const pipeline = path.join(packageRoot, 'pipelines/default.pipeline.yaml');

t.test('engine demo, then the same task twice more: completed each time, same plan, tests and trees', async (t) => {
  const base = scratchBase(t, 'bootstrap');
  const clock = { ENGINE_FAKE_CLOCK: '2026-01-02T03:04:05.000Z' };
  // Run 1 is `engine demo` itself (it runs this task); runs 2 and 3 are `engine run` with a
  // fixed run id. All three start from an empty repo with the same clock and seed.
  const runs = await Promise.all(
    [1, 2, 3].map(async (n) => {
      const repo = n === 1 ? path.join(base, 'demo') : initRepo(path.join(base, `repo-${n}`));
      const args = n === 1 ? ['demo', '--dir', repo] : ['run', pipeline, '--repo', repo, '--task', task, '--policy', policy, '--run-id', 'bootstrap', '--no-progress'];
      const r = await spawnEngine(args, { cwd: base, env: clock });
      t.equal(r.code, 0, `run ${n} exits 0\n${r.stdout.slice(0, 600)}${r.stderr}`);
      const runId = readdirSync(path.join(repo, '.engine', 'runs'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)[0]!;
      const runDir = path.join(repo, '.engine', 'runs', runId);
      if (n === 1) checkDemo(t, r, repo, runDir, runId);
      const events = readJsonl(path.join(runDir, 'timeline.jsonl'));
      return {
        finished: events.find((e) => e.type === 'run.finished'),
        planned: events.find((e) => e.type === 'plan.accepted')?.milestones.map((m: any) => m.files_expected),
        tests: events
          .filter((e) => e.type === 'verify.finished')
          .map((e) => ({ tier: e.tier, pass: e.pass, skipped: e.skipped, commands: e.commands.map((c: any) => [c.command, c.exit_code, c.timed_out]) })),
        trees: events.filter((e) => e.type === 'checkpoint.created').map((e) => e.tree),
        calls: events.filter((e) => e.type === 'worker.finished').map((e) => [e.step, e.worker, e.outcome, e.markers_ok]),
      };
    }),
  );

  const first = runs[0]!;
  t.match(first.finished, { status: 'completed', stop_reason: 'completed', exit_code: 0 });
  t.ok(first.planned.length >= 3, 'a plan of at least three milestones');
  t.ok(first.planned.every((files: string[]) => files.length > 0), 'each milestone names its files');
  t.same(
    first.tests.map((v: any) => [v.tier, v.pass, v.commands.map((c: any) => c[0])]),
    [
      ['tier0', true, ['node --test']],
      ['tier0', true, ['node --test']],
      ['tier0', true, ['node --test']],
      ['tier2', true, ['node --test', 'node bin/tally.js package.json']],
    ],
    "the repo's own tests ran and passed after each milestone and at the end",
  );
  t.equal(new Set(first.trees).size, 3, 'one checkpoint per milestone, each adding to the tree');
  t.same(first.calls.map((c: any) => c.slice(0, 2)), [
    ['explore', 'planner'],
    ['plan', 'planner'],
    ['implement', 'implementer'],
    ['review', 'reviewer'],
    ['implement', 'implementer'],
    ['review', 'reviewer'],
    ['implement', 'implementer'],
    ['review', 'reviewer'],
  ]);
  t.ok(first.calls.every((c: any) => c[2] === 'ok' && c[3] === true), 'every call ended ok with valid markers');
  for (const [i, run] of runs.entries()) {
    if (i === 0) continue;
    t.equal(run.finished.stop_reason, 'completed', `run ${i + 1} completed`);
    t.same(run.planned, first.planned, `run ${i + 1}: same planned files`);
    t.same(run.tests, first.tests, `run ${i + 1}: same test outcomes`);
    t.same(run.trees, first.trees, `run ${i + 1}: same checkpoint trees`);
    t.same(run.calls, first.calls, `run ${i + 1}: same worker calls`);
  }
});

t.test('engine demo refuses a directory that is not empty', async (t) => {
  const base = scratchBase(t, 'demo-busy');
  writeFileSync(path.join(base, 'mine.txt'), 'a user file\n');
  const r = await spawnEngine(['demo', '--dir', base, '--no-progress'], { cwd: base });
  t.equal(r.code, 2, 'a usage error');
  t.match(r.stderr, /not empty/);
  t.same(readdirSync(base), ['mine.txt'], 'nothing was written there');
  // A file given as the directory: it was exit 70 (ENOTDIR from listing it).
  const file = await spawnEngine(['demo', '--dir', path.join(base, 'mine.txt'), '--no-progress'], { cwd: base });
  t.equal(file.code, 2, "a file is a usage error too");
  t.match(file.stderr, /mine\.txt is a file, not a directory/);
  t.equal(readFileSync(path.join(base, 'mine.txt'), 'utf8'), 'a user file\n', 'and the file is as it was');
});

t.test('a reader that goes away (demo --json | head) ends the output quietly, with the run\'s own exit code', async (t) => {
  const base = scratchBase(t, 'demo-head');
  const demoDir = path.join(base, 'demo');
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const p = spawn('bash', ['-c', `'${process.execPath}' '${engineBin}' demo --json --dir '${demoDir}' | head -n 1 >/dev/null; echo "exit=\${PIPESTATUS[0]}" >&2`], { env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stderr }));
  });
  const [runId] = readdirSync(path.join(demoDir, '.engine', 'runs'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  const finished = readJsonl(path.join(demoDir, '.engine', 'runs', runId!, 'timeline.jsonl')).at(-1);
  t.equal(finished.type, 'run.finished', 'the run went on to its end');
  t.equal(r.stderr, `exit=${finished.exit_code}\n`, 'no stack trace, and the exit code is the run\'s');
  t.ok(readFileSync(path.join(demoDir, '.engine', 'runs', runId!, 'state.json'), 'utf8').includes('"status"'));
});

/** What `engine demo` prints and leaves: summary, KPI table, where things are, its calls. */
function checkDemo(t: Test, r: EngineResult, dir: string, runDir: string, runId: string): void {
  t.match(r.stdout, /status: \*\*completed\*\*/);
  t.match(r.stdout, /\| worker calls per milestone median \| 2 \|/, 'the KPI table');
  t.match(r.stderr, /\[3\/3\] checkpoint [0-9a-f]{10}/, 'progress on stderr');

  t.equal(readdirSync(path.join(dir, '.engine', 'runs'), { withFileTypes: true }).filter((d) => d.isDirectory()).length, 1, 'one run, in the scratch repo');
  t.match(r.stdout, `scratch repo: ${dir}`);
  t.match(r.stdout, `engine/${runId}`);

  const started = readJsonl(path.join(runDir, 'timeline.jsonl')).filter((e) => e.type === 'worker.started');
  const calls = readdirSync(path.join(runDir, 'calls')).sort();
  t.same(calls, started.map((e) => e.call.replace(/^calls\//, '')), 'one call directory per worker call');
  t.equal(calls.length, 8, 'explore, plan, and implement + review for each of three milestones');
  for (const c of calls) {
    const meta = JSON.parse(readFileSync(path.join(runDir, 'calls', c, 'meta.json'), 'utf8'));
    t.equal(meta.cli_version, meta.plugin === 'codex' ? '0.169.0' : '2.1.197', `${c}: the pinned ${meta.plugin}`);
    t.equal(meta.plugin, c.endsWith('implementer') ? 'codex' : 'claude');
  }
  const workspace = JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8')).workspace;
  t.notOk(existsSync(`${workspace}.homes`), "a completed run removed the CLIs' private homes beside its workspace (its branch holds the result)");
  t.notOk(existsSync(path.join(runDir, 'homes')), 'and kept none in the run store');
}
