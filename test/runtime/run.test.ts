import t from 'tap';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { makeFixture, engine, engineHere, readJsonl } from '../helpers/run-fixture.js';

const schema = (name: string) => JSON.parse(readFileSync(new URL(`../../schemas/${name}.schema.json`, import.meta.url), 'utf8'));
const ajv = new Ajv.default({ allErrors: true, strict: false });
ajv.addSchema(schema('state'), 'state.schema.json');
const validateEvent = ajv.compile(schema('event'));
const validateState = ajv.getSchema('state.schema.json')!;

// The first two tests start real engine processes (a run on the real clock, and two runs that
// must agree byte for byte without sharing a process); two runs at once need two processes.
// The others drive the engine in this process (the CLI kernel) on the stepping clock.
const clock = { ENGINE_FAKE_CLOCK: '2026-01-02T03:04:05.000Z' };

function runDirOf(repo: string): string {
  const runs = path.join(repo, '.engine', 'runs');
  const [id] = readdirSync(runs, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  return path.join(runs, id!);
}

t.test('a happy-path run over two milestones', async (t) => {
  const f = makeFixture();
  const headBefore = f.git('rev-parse', 'HEAD');
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'write two files', '--policy', f.policyFile, '--no-progress'], { cwd: f.dir });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /status: \*\*completed\*\*/);

  const runDir = runDirOf(f.repo);
  const state = JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8'));
  t.equal(state.status, 'completed');
  t.equal(state.stop_reason, 'completed');
  t.ok(validateState(state), JSON.stringify(validateState.errors));

  const events = readJsonl(path.join(runDir, 'timeline.jsonl'));
  t.same(events.map((e) => e.seq), events.map((_, i) => i + 1), 'seq is 1..n without gaps');
  for (const e of events) t.ok(validateEvent(e), `${e.type}: ${JSON.stringify(validateEvent.errors)}`);
  t.equal(events[0].type, 'run.started');
  t.equal(events.at(-1).type, 'run.finished');
  t.equal(events.at(-1).exit_code, 0);

  const order = events.filter((e) => e.type === 'step.started' && !['advance', 'decide'].includes(e.kind)).map((e) => e.step);
  t.same(order, ['plan', 'implement', 'verify', 'review', 'checkpoint', 'implement', 'verify', 'review', 'checkpoint', 'final_verify']);
  t.equal(events.filter((e) => e.type === 'checkpoint.created').length, 2);

  // Two checkpoint commits on the run's branch; the user's checkout untouched.
  const commits = f.git('rev-list', `${headBefore}..${state.branch}`).split('\n');
  t.equal(commits.length, 2);
  t.equal(f.git('rev-parse', 'HEAD'), headBefore, 'user HEAD unchanged');
  t.equal(f.git('status', '--porcelain'), '', 'user tree clean (.engine/ is excluded)');
  t.notOk(existsSync(path.join(f.repo, 'src')), 'no worker file in the user tree');
  t.equal(f.git('show', `${state.branch}:src/b.txt`), 'beta');
  t.match(f.git('log', '-1', '--format=%B', state.branch), new RegExp(`Engine-Run: ${state.run_id}`));

  // Every call left a canonical transcript; KPIs are in state and run.finished.
  const calls = readdirSync(path.join(runDir, 'calls'));
  t.equal(calls.length, 5);
  for (const c of calls) {
    for (const file of ['prompt.md', 'stdout.log', 'stderr.log', 'events.jsonl', 'text.md', 'markers.json', 'meta.json']) {
      t.ok(existsSync(path.join(runDir, 'calls', c, file)), `${c}/${file}`);
    }
    t.match(readFileSync(path.join(runDir, 'calls', c, 'prompt.md'), 'utf8'), /^engine-phase: \w+\nengine-contract: 1\nengine-step: /);
  }
  t.equal(state.kpis.milestones_done, 2);
  t.equal(state.kpis.worker_calls, 5);
  t.equal(state.kpis.calls_per_milestone.median, 2);
  t.same(events.at(-1).kpis, state.kpis);
  t.notOk(existsSync(path.join(runDir, 'memo.md')), 'no memo for a completed run');
  t.match(readFileSync(path.join(runDir, 'summary.md'), 'utf8'), /\| worker calls per milestone median \| 2 \|/);
  const env = JSON.parse(readFileSync(path.join(runDir, 'env.json'), 'utf8'));
  t.equal(env.pipeline_hash, state.pipeline.hash);
  t.equal(env.contract_version, 1);
});

t.test('the same inputs, clock and ids give identical records and commits', async (t) => {
  const snapshots: { timeline: string; state: string; commits: string }[] = [];
  for (let i = 0; i < 2; i++) {
    const f = makeFixture({ fixedPath: 'determinism' });
    const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'write two files', '--policy', f.policyFile, '--run-id', 'det-1', '--no-progress'], {
      cwd: f.dir,
      env: { ENGINE_FAKE_CLOCK: '2026-01-02T03:04:05.000Z' },
    });
    t.equal(r.code, 0, r.stderr);
    const runDir = path.join(f.repo, '.engine', 'runs', 'det-1');
    snapshots.push({
      timeline: readFileSync(path.join(runDir, 'timeline.jsonl'), 'utf8'),
      state: readFileSync(path.join(runDir, 'state.json'), 'utf8'),
      commits: f.git('rev-list', 'engine/det-1'),
    });
  }
  t.equal(snapshots[0]!.timeline, snapshots[1]!.timeline, 'timeline byte-identical');
  t.equal(snapshots[0]!.state, snapshots[1]!.state, 'state.json byte-identical');
  t.equal(snapshots[0]!.commits, snapshots[1]!.commits, 'identical commit SHAs');
});

t.test('--max-ticks 1 stops budget_exhausted and resume completes with seq continuing', async (t) => {
  const f = makeFixture();
  const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--max-ticks', '1', '--run-id', 'b1', '--no-progress'], { cwd: f.dir, env: clock });
  t.equal(r.code, 1, r.stderr);
  const runDir = path.join(f.repo, '.engine', 'runs', 'b1');
  const memo = readFileSync(path.join(runDir, 'memo.md'), 'utf8');
  t.match(memo, /stopped: budget_exhausted/);
  t.match(memo, /engine resume b1 --repo/);
  const before = readJsonl(path.join(runDir, 'timeline.jsonl'));
  t.equal(before.at(-1).stop_reason, 'budget_exhausted');

  const r2 = await engineHere(['resume', 'b1', '--repo', f.repo, '--max-ticks', '100', '--no-progress'], { cwd: f.dir, env: clock });
  t.equal(r2.code, 0, r2.stderr);
  const after = readJsonl(path.join(runDir, 'timeline.jsonl'));
  t.same(after.slice(0, before.length), before, 'nothing recorded before is lost or changed');
  t.same(after.map((e) => e.seq), after.map((_, i) => i + 1), 'seq continues');
  const resumed = after.find((e) => e.type === 'run.resumed');
  t.equal(resumed.from_seq, before.length);
  t.equal(resumed.max_ticks, 101);
  t.equal(after.at(-1).stop_reason, 'completed');
  t.notOk(existsSync(path.join(runDir, 'memo.md')), 'the memo goes once the run completes');
});

t.test('a custom loop without a reviewer and with a command step runs without code changes', async (t) => {
  const f = makeFixture({
    pipeline: (p) => {
      p.steps = p.steps.filter((s: { id: string }) => !['approval', 'review'].includes(s.id));
      const verify = p.steps.find((s: { id: string }) => s.id === 'verify');
      verify.on.pass = 'lint';
      p.steps.push({ id: 'lint', type: 'command', run: 'test -s src/a.txt', on: { pass: 'checkpoint', fail: { stop: 'verification_failed' } } });
      delete p.workers.reviewer;
    },
  });
  const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'c1', '--no-progress'], { cwd: f.dir, env: clock });
  t.equal(r.code, 0, r.stderr);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'c1', 'timeline.jsonl'));
  t.equal(events.filter((e) => e.type === 'command.finished').length, 2);
  t.equal(events.filter((e) => e.type === 'worker.started' && e.phase === 'review').length, 0);
  t.equal(events.filter((e) => e.type === 'checkpoint.created').length, 2);
});

t.test('a pipeline with an unbounded retry loop is rejected before anything runs', async (t) => {
  const f = makeFixture({
    pipeline: (p) => {
      p.steps.find((s: { id: string }) => s.id === 'verify').on.fail = 'implement';
    },
  });
  const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile], { cwd: f.dir, env: clock });
  t.equal(r.code, 2);
  t.match(r.stderr, /test\.pipeline\.yaml:\d+:\d+: error E_UNBOUNDED_LOOP the loop implement → verify → implement has no bound/);
  t.notOk(existsSync(path.join(f.repo, '.engine', 'runs')), 'no run was created');
  const json = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--json'], { cwd: f.dir, env: clock });
  const doc = JSON.parse(json.stdout.trim());
  t.equal(doc.type, 'run.rejected');
  t.equal(doc.diagnostics[0].code, 'E_UNBOUNDED_LOOP');
});

t.test('two runs on one repo at once each get their own workspace and branch', async (t) => {
  const f = makeFixture();
  const { spawn } = await import('node:child_process');
  const { engineBin, bareNode, childEnv } = await import('../helpers/run-fixture.js');
  const start = (id: string) =>
    new Promise<number | null>((resolve) => {
      const p = spawn('/usr/bin/env', [...bareNode, engineBin, 'run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress'], { cwd: f.dir, stdio: 'ignore', env: childEnv() });
      p.on('close', resolve);
    });
  const [a, b] = await Promise.all([start('p1'), start('p2')]);
  t.equal(a, 0);
  t.equal(b, 0);
  t.equal(f.git('rev-list', '--count', 'main..engine/p1'), '2');
  t.equal(f.git('rev-list', '--count', 'main..engine/p2'), '2');
  t.not(f.git('rev-parse', 'engine/p1'), f.git('rev-parse', 'engine/p2'));
});

t.test('a worker failure stops worker_failed with a memo; garbage twice stops parse_failed', async (t) => {
  const f = makeFixture({ script: { ...(await import('../helpers/run-fixture.js')).twoMilestones, garbage: { 'implement#1#1': 1 } }, policy: { budgets: { parse_retries: 0 } } });
  const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'g1', '--no-progress'], { cwd: f.dir, env: clock });
  t.equal(r.code, 1);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'g1', 'timeline.jsonl'));
  t.equal(events.at(-1).stop_reason, 'parse_failed');
  t.equal(events.filter((e) => e.type === 'parse.failed').length, 1);
  t.match(readFileSync(path.join(f.repo, '.engine', 'runs', 'g1', 'memo.md'), 'utf8'), /parse_failed/);
});

// In a repo without commits every file is uncommitted, and the run, on an orphan branch, sees
// none of them: "it starts from HEAD" named a HEAD that is not there and did not say to commit.
t.test('in a repo without commits the run says it starts from an empty tree, and to commit first', async (t) => {
  // tier0 of the fixture checks README.md, which such a run does not have.
  const f = makeFixture({ policy: { verification: { tiers: { tier0: { commands: ['true'] }, tier2: { commands: ['test -f src/a.txt'] } } } } });
  const { rmSync } = await import('node:fs');
  rmSync(path.join(f.repo, '.git'), { recursive: true, force: true });
  f.git('init', '-q', '-b', 'main');
  f.git('config', 'user.name', 'Test');
  f.git('config', 'user.email', 'test@example.com');
  const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'nc'], { cwd: f.dir, env: clock });
  t.equal(r.code, 0, r.stderr);
  const said = /the repo has no commits yet: the run starts from an empty tree, without your files; commit them first \(git add -A && git commit\) for a run to see them/;
  t.match(r.stderr, said);
  t.match(r.stdout, said);
  t.notMatch(r.stderr + r.stdout, /starts from HEAD/);
  t.equal(f.git('ls-tree', '--name-only', 'engine/nc', 'README.md'), '', 'the run did not have the uncommitted README.md');
});

t.test('garbage then valid markers after a repair prompt: the run goes on', async (t) => {
  const f = makeFixture({ script: { ...(await import('../helpers/run-fixture.js')).twoMilestones, garbage: { 'implement#1#1': 1 } } });
  const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'g2', '--no-progress'], { cwd: f.dir, env: clock });
  t.equal(r.code, 0, r.stderr);
  const runDir = path.join(f.repo, '.engine', 'runs', 'g2');
  const events = readJsonl(path.join(runDir, 'timeline.jsonl'));
  t.equal(events.filter((e) => e.type === 'parse.failed').length, 1);
  const repair = events.find((e) => e.type === 'worker.started' && e.phase === 'repair');
  t.ok(repair, 'a repair call was made');
  t.match(readFileSync(path.join(runDir, repair.call, 'prompt.md'), 'utf8'), /engine-phase: repair\n[\s\S]*engine-repair-of: implement/);
  const state = JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8'));
  t.equal(state.kpis.parse_failures, 1);
  t.equal(state.kpis.retried_milestones, 1);
});

t.test('uncommitted changes in the user tree are left out of the run, and the run says so', async (t) => {
  const f = makeFixture();
  const { writeFileSync } = await import('node:fs');
  writeFileSync(path.join(f.repo, 'README.md'), '# edited by hand, not committed\n');
  const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'd1'], { cwd: f.dir, env: clock });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /your uncommitted changes are not part of this run/);
  t.match(r.stdout, /uncommitted changes when the run started; they are not part of the run/);
  t.equal(f.git('show', 'engine/d1:README.md'), '# target', 'the run started from HEAD');
  t.equal(readFileSync(path.join(f.repo, 'README.md'), 'utf8'), '# edited by hand, not committed\n', 'the user edit is untouched');
});
