import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { makeFixture, engine, engineHere, readJsonl, twoMilestones, workspaceOf, type AgentScript, writeAgentScript } from '../helpers/run-fixture.js';

// Governance after every worker call: a change where the worker must not write is rolled back
// (kept in attempted.patch), recorded as governance.violation, and the run stops with exit 3.
// The engine runs in this process (the CLI kernel, engineHere) on the stepping clock, but for
// the worker that signals the engine that started it: that one needs an engine process.
const clock = { ENGINE_FAKE_CLOCK: '2026-01-02T03:04:05.000Z' };
const schema = (name: string) => JSON.parse(readFileSync(new URL(`../../schemas/${name}.schema.json`, import.meta.url), 'utf8'));
const ajv = new Ajv.default({ allErrors: true, strict: false });
ajv.addSchema(schema('state'), 'state.schema.json');
const validateEvent = ajv.compile(schema('event'));

const runDir = (repo: string, id: string) => path.join(repo, '.engine', 'runs', id);
const worktree = (repo: string, id: string) => workspaceOf(repo, id);

async function runWith(t: { ok(value: unknown, message: string): unknown }, opts: { script: AgentScript | ((repo: string) => AgentScript); policy?: Record<string, unknown>; id: string; extra?: string[]; task?: Record<string, unknown>; spawned?: boolean }) {
  // The engine's own checks, without the OS sandbox (it would refuse most of these writes: test/sandbox/).
  const f = makeFixture({ script: typeof opts.script === 'function' ? twoMilestones : opts.script, policy: { sandbox: { mode: 'off' }, ...opts.policy } });
  // A script that needs the repo's path (to reach the run store by absolute path) is written now.
  if (typeof opts.script === 'function') writeAgentScript(f.scriptFile, opts.script(f.repo));
  const goal = opts.task ? ['--task', writeTask(f.dir, opts.task)] : ['--goal', 'g'];
  const args = ['run', f.pipelineFile, '--repo', f.repo, ...goal, '--policy', f.policyFile, '--run-id', opts.id, '--no-progress', ...(opts.extra ?? [])];
  const r = opts.spawned ? engine(args, { cwd: f.dir }) : await engineHere(args, { cwd: f.dir, env: clock });
  const dir = runDir(f.repo, opts.id);
  const events = readJsonl(path.join(dir, 'timeline.jsonl'));
  for (const e of events) t.ok(validateEvent(e), `${e.type} matches the event schema: ${JSON.stringify(validateEvent.errors)}`);
  return { f, r, dir, events, violation: events.find((e) => e.type === 'governance.violation'), last: events.at(-1) };
}

function writeTask(dir: string, task: Record<string, unknown>): string {
  const file = path.join(dir, 'g.task.yaml');
  writeFileSync(file, JSON.stringify({ apiVersion: 'engine/v1', kind: 'Task', ...task }));
  return file;
}

t.test('a change outside the allowed roots: rolled back whole, kept in attempted.patch, exit 3', async (t) => {
  const script = { ...twoMilestones, implement: { '1': { 'src/a.txt': 'alpha\n', 'docs/notes.md': 'not allowed\n' } } };
  const { f, r, dir, violation, last, events } = await runWith(t, { script, policy: { governance: { allowed_roots: ['src/**'] } }, id: 'roots' });
  t.equal(r.code, 3, r.stderr);
  t.equal(last.type, 'run.finished');
  t.equal(last.stop_reason, 'governance_violation');
  t.same(violation.violations, [{ path: 'docs/notes.md', rule: 'outside_allowed_roots', pattern: null }]);
  t.equal(violation.step, 'implement');
  t.equal(violation.milestone, 1);
  t.equal(violation.patch, 'attempted.patch');
  t.equal(violation.stop_reason, 'governance_violation');
  t.match(violation.call, /^calls\/\d{4}-implement-/);

  const wt = worktree(f.repo, 'roots');
  t.notOk(existsSync(path.join(wt, 'docs', 'notes.md')), 'the offending file is gone');
  t.notOk(existsSync(path.join(wt, 'src', 'a.txt')), 'the whole change of the step is rolled back');
  const patch = readFileSync(path.join(dir, 'attempted.patch'), 'utf8');
  t.match(patch, /diff --git a\/docs\/notes.md b\/docs\/notes.md/);
  t.match(patch, /\+not allowed/);
  t.match(patch, /\+alpha/);
  // Nothing is lost: the patch applies to the checkout the step started from.
  f.git('apply', '--check', path.join(dir, 'attempted.patch'));

  const memo = readFileSync(path.join(dir, 'memo.md'), 'utf8');
  t.match(memo, /stopped: governance_violation/);
  t.match(memo, /## Governance/);
  t.match(memo, /docs\/notes.md: outside the allowed roots/);
  t.match(memo, /attempted.patch/);
  const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8'));
  t.equal(state.stop_reason, 'governance_violation');
  t.equal(state.kpis.governance_violations, 1);
  t.notOk(events.some((e) => e.type === 'checkpoint.created'), 'nothing was checkpointed');
  t.match(r.stderr + r.stdout, /governance_violation/);
});

t.test('a read-only step (explore) may write nothing', async (t) => {
  const script = { ...twoMilestones, writes: { 'explore#-#1': { 'scratch.txt': 'thinking out loud\n' } } };
  const { f, r, violation, last } = await runWith(t, { script, policy: { explore: { mode: 'on' } }, id: 'ro' });
  t.equal(r.code, 3, r.stderr);
  t.equal(last.stop_reason, 'governance_violation');
  t.equal(violation.step, 'explore');
  t.same(violation.violations, [{ path: 'scratch.txt', rule: 'read_only', pattern: null }]);
  t.notOk(existsSync(path.join(worktree(f.repo, 'ro'), 'scratch.txt')));
});

t.test('protected paths and dependency files; allow_deps lets lockfiles through', async (t) => {
  const script = { ...twoMilestones, implement: { '1': { 'src/a.txt': 'alpha\n', 'secrets/key.txt': 'k\n', 'package-lock.json': '{}\n' } } };
  const { r, violation } = await runWith(t, { script, policy: { governance: { protected: ['secrets/**'] } }, id: 'prot' });
  t.equal(r.code, 3, r.stderr);
  t.same(violation.violations, [
    { path: 'package-lock.json', rule: 'dependency_file', pattern: 'package-lock.json' },
    { path: 'secrets/key.txt', rule: 'protected', pattern: 'secrets/**' },
  ]);

  const deps = { ...twoMilestones, implement: { '1': { 'src/a.txt': 'alpha\n', 'package-lock.json': '{}\n' }, '2': { 'src/b.txt': 'beta\n' } } };
  const allowed = await runWith(t, { script: deps, policy: { governance: { allow_deps: true } }, id: 'deps' });
  t.equal(allowed.r.code, 0, allowed.r.stderr);
  t.equal(allowed.violation, undefined);

  // A stop for governance is resumable: the step is repeated, here under a widened policy.
  const stopped = await runWith(t, { script: deps, id: 'deps2' });
  t.equal(stopped.r.code, 3, stopped.r.stderr);
  t.equal(stopped.violation.violations[0].rule, 'dependency_file');
  const resumed = await engineHere(['resume', 'deps2', '--repo', stopped.f.repo, '--no-progress', '--set', 'governance.allow_deps=true'], { cwd: stopped.f.dir, env: clock });
  t.equal(resumed.code, 0, resumed.stderr);
  t.equal(stopped.f.git('show', 'engine/deps2:package-lock.json'), '{}');
});

t.test("the task's allowed_roots narrow the policy's, and a resumed run keeps them", async (t) => {
  // The plan stays inside the roots (a plan outside them is refused at acceptance); milestone 2's worker does not.
  const script = { ...twoMilestones, plan: [twoMilestones.plan[0]!, { ...twoMilestones.plan[1]!, files_expected: ['src/a.txt'] }], implement: { '1': { 'src/a.txt': 'alpha\n' }, '2': { 'src/b.txt': 'beta\n' } } };
  const { f, r, violation } = await runWith(t, { script, id: 'task', task: { goal: 'g', allowed_roots: ['src/a.txt'] }, extra: ['--max-ticks', '3'] });
  t.equal(r.code, 1, 'the first session ends on its tick budget');
  t.equal(violation, undefined);
  const resumed = await engineHere(['resume', 'task', '--repo', f.repo, '--no-progress'], { cwd: f.dir, env: clock });
  t.equal(resumed.code, 3, resumed.stderr);
  const events = readJsonl(path.join(runDir(f.repo, 'task'), 'timeline.jsonl'));
  const v = events.find((e) => e.type === 'governance.violation');
  t.same(v.violations, [{ path: 'src/b.txt', rule: 'outside_allowed_roots', pattern: null }], 'milestone 2 writes outside the task roots');
  t.equal(v.milestone, 2);
});

t.test('the run store: a worker that rewrites the engine records is undone and stopped', async (t) => {
  const id = 'store';
  // The workspace is outside the repo: the run store is reached by its absolute path.
  const script = (repo: string) => ({
    ...twoMilestones,
    appends: { 'implement#1#1': { [path.join(runDir(repo, id), 'timeline.jsonl')]: '{"seq": 999, "type": "run.finished", "stop_reason": "completed"}\n' } },
    writes: { 'implement#1#1': { [path.join(runDir(repo, id), 'env.json')]: '{}', [path.join(runDir(repo, id), 'state.json')]: '{"status": "completed"}\n' } },
  });
  const { r, dir, violation, events } = await runWith(t, { script, id });
  t.equal(r.code, 3, r.stderr);
  t.same(violation.violations, [
    { path: 'timeline.jsonl', rule: 'run_store', pattern: null },
    { path: 'env.json', rule: 'run_store', pattern: null },
  ]);
  t.same(events.map((e) => e.seq), events.map((_, i) => i + 1), 'the forged line is gone and seq runs 1..n');
  t.equal(events.at(-1).stop_reason, 'governance_violation');
  t.not(readFileSync(path.join(dir, 'env.json'), 'utf8'), '{}', 'env.json written back');
  t.match(readFileSync(path.join(dir, 'env.json'), 'utf8'), /engine_version/);
  // The forged state.json is replaced before the check (the child's end is written to it), so
  // it is not named; what stands is the engine's own, written at the stop.
  const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8'));
  t.equal(state.status, 'stopped', "state.json is the engine's again, written at the stop");
  t.equal(state.stop_reason, 'governance_violation');
  t.equal(violation.patch, 'attempted.patch', 'the milestone change itself is kept too');
});

t.test("a worker's own commit in its workspace is inert: its files are governed like any change, the branch moves only by checkpoints", async (t) => {
  const script = { ...twoMilestones, commit: { 'implement#1#1': 1 } };
  const { f, r, violation, events } = await runWith(t, { script, id: 'commit' });
  t.equal(r.code, 0, r.stderr);
  t.equal(violation, undefined, 'no violation: the workspace .git is the worker\'s to use');
  const checkpoints = events.filter((e) => e.type === 'checkpoint.created');
  t.equal(checkpoints.length, 2);
  t.equal(f.git('rev-parse', 'engine/commit'), checkpoints[1].sha, "the branch is the engine's last checkpoint");
  t.match(f.git('log', '--format=%s', 'engine/commit'), /^engine: milestone 2 m2: write b\nengine: milestone 1 m1: write a\ninitial$/, "no commit of the worker's reaches the user's repo");
  t.equal(f.git('rev-parse', 'main'), f.git('rev-parse', 'engine/commit~2'), "the user's main is where it was");
});

t.test('code the worker wrote and verification runs is governed too: a protected write is caught', async (t) => {
  const script = { ...twoMilestones, implement: { '1': { 'src/a.txt': 'alpha\n', 'src/check.sh': 'mkdir -p secrets && echo pwned > secrets/key.txt\n' } } };
  const policy = { governance: { protected: ['secrets/**'] }, verification: { tiers: { tier0: { commands: ['sh src/check.sh'] } } } };
  const { f, r, violation, events } = await runWith(t, { script, policy, id: 'verify' });
  t.equal(r.code, 3, r.stderr);
  t.equal(violation.step, 'verify');
  t.match(violation.call, /^verify\/\d{4}-tier0\.log$/, 'the source is the verification log');
  t.same(violation.violations, [{ path: 'secrets/key.txt', rule: 'protected', pattern: 'secrets/**' }]);
  t.notOk(existsSync(path.join(worktree(f.repo, 'verify'), 'secrets', 'key.txt')), 'rolled back');
  t.ok(existsSync(path.join(worktree(f.repo, 'verify'), 'src', 'check.sh')), "the worker's own allowed change stays: only the verification's is undone");
  t.notOk(events.some((e) => e.type === 'checkpoint.created'), 'nothing was committed');
});

t.test('attempted.patch keeps the bytes as they were, in any encoding', async (t) => {
  const latin1 = Buffer.from('caf\xe9 cr\xe8me\n', 'latin1');
  const script = { ...twoMilestones, writes: { 'implement#1#1': { 'docs/menu.txt': `base64:${latin1.toString('base64')}` } } };
  const { f, r, dir } = await runWith(t, { script, policy: { governance: { allowed_roots: ['src/**'] } }, id: 'bytes' });
  t.equal(r.code, 3, r.stderr);
  f.git('apply', path.join(dir, 'attempted.patch'));
  t.ok(readFileSync(path.join(f.repo, 'docs', 'menu.txt')).equals(latin1), 'the applied patch gives back the exact bytes');
});

t.test('a worker that forges a record and then signals the engine: the record is still put back', async (t) => {
  const id = 'sig';
  const script = (repo: string) => ({
    ...twoMilestones,
    appends: { 'implement#1#1': { [path.join(runDir(repo, id), 'timeline.jsonl')]: '{"seq": 999, "type": "forged"}\n' } },
    signal_parent: { 'implement#1#1': 'SIGTERM' },
  });
  const { r, events, last } = await runWith(t, { script, id, spawned: true });
  t.equal(r.code, 130, r.stderr);
  t.equal(last.stop_reason, 'interrupted');
  t.notOk(events.some((e) => e.type === 'forged'), 'the forged line is gone');
  t.same(events.map((e) => e.seq), events.map((_, i) => i + 1));
});

t.test('after a governance stop the worktree is as persisted: an edit made since is a hand edit', async (t) => {
  const deps = { ...twoMilestones, implement: { '1': { 'src/a.txt': 'alpha\n', 'package-lock.json': '{}\n' }, '2': { 'src/b.txt': 'beta\n' } } };
  const { f, r } = await runWith(t, { script: deps, id: 'hand' });
  t.equal(r.code, 3, r.stderr);
  const wt = worktree(f.repo, 'hand');
  writeFileSync(path.join(wt, 'manual.txt'), 'mine\n');
  const refused = await engineHere(['resume', 'hand', '--repo', f.repo, '--no-progress', '--set', 'governance.allow_deps=true'], { cwd: f.dir, env: clock });
  t.equal(refused.code, 2, 'refused, not silently discarded');
  t.match(refused.stderr, /changed by hand since the run stopped: manual\.txt/);
  t.ok(existsSync(path.join(wt, 'manual.txt')), 'the edit is still there');
  const forced = await engineHere(['resume', 'hand', '--repo', f.repo, '--no-progress', '--set', 'governance.allow_deps=true', '--force'], { cwd: f.dir, env: clock });
  t.equal(forced.code, 0, forced.stderr);
  const resumed = readJsonl(path.join(runDir(f.repo, 'hand'), 'timeline.jsonl')).find((e) => e.type === 'run.resumed');
  t.match(resumed, { forced: true, hand_edits: ['manual.txt'], repeated_step: 'implement' });
});
