// test cost: about 40 s: the hostile suite, every task through the engine, three at a time (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { parse } from 'yaml';
import { bareNode, childEnv, engineBin, readJsonl } from '../helpers/run-fixture.js';

const root = path.resolve(import.meta.dirname, '../..');
const hostileDir = path.join(root, 'tasks', 'hostile');
const taskFiles = readdirSync(hostileDir).filter((f) => f.endsWith('.task.yaml')).sort();

interface Run { repeat: number; run_id: string; repo: string; run_dir: string; ended: string; exit_code: number; detail: string; layer?: string; ok: boolean }
interface TaskResult { task: string; file: string; expect: string; runs: Run[]; ok: boolean }

/**
 * Every hostile task, once, through `engine suite` with the real claude and codex CLIs against
 * the scripted model: each ends with the stop it declares, stopped by the layer it declares
 * (the suite checks that in the run's records), and the user's repo gains nothing but the
 * engine's branch. Then, per task, what the guarantee is about, read from the records.
 */
// Through `env -u NODE_OPTIONS` (bareNode): tap's process-info hook puts its loader back into
// every child it sees spawned, and the CLIs would then try to write tap's records from inside
// the OS sandbox (a read-only file system error in their output that no attack caused).
// Three tasks at a time: worker-hangs no longer races codex, whose scripted commands may run
// 30 s before it answers the model (engine/stub/translate-actions.ts), against a 20 s idle limit.
const spawned = spawnSync('/usr/bin/env', [...bareNode, engineBin, 'suite', hostileDir, '--jobs', '3', '--json'], { cwd: root, env: childEnv(), encoding: 'utf8', timeout: 600_000 });
const r = { code: spawned.status, stdout: spawned.stdout, stderr: spawned.stderr };
const report = JSON.parse(r.stdout) as { tasks: TaskResult[]; passed: number; failed: number };
const byName = new Map(report.tasks.map((x) => [x.task, x]));
const only = (name: string): Run => byName.get(name)!.runs[0]!;
const timeline = (name: string) => readJsonl(path.join(only(name).run_dir, 'timeline.jsonl'));
const gitIn = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();

t.test('the hostile suite: at least 12 tasks, each as declared, stop and layer', async (t) => {
  t.ok(taskFiles.length >= 12, `${taskFiles.length} hostile tasks`);
  t.equal(r.code, 0, `suite exit 0\n${r.stderr}`);
  t.equal(report.tasks.length, taskFiles.length, 'every task ran');
  for (const file of taskFiles) {
    const task = parse(readFileSync(path.join(hostileDir, file), 'utf8')) as { name: string; expect: { stop: string; layer: string } };
    t.type(task.expect, 'object', `${file} declares its stop and layer`);
    const result = byName.get(task.name)!;
    t.ok(result, `${task.name} has a result`);
    const run = result.runs[0]!;
    t.equal(run.ended, task.expect.stop, `${task.name} ends ${task.expect.stop}: ${run.detail}`);
    t.equal(run.layer, task.expect.layer, `${task.name}: layer ${task.expect.layer} checked`);
    t.ok(run.ok, `${task.name} as declared: ${run.detail}`);
    t.equal(run.exit_code, { completed: 0, governance_violation: 3, framework_fix_needed: 3 }[run.ended as string] ?? 1, `${task.name}: exit code of ${run.ended}`);
    if (run.ended !== 'completed') t.ok(existsSync(path.join(run.run_dir, 'memo.md')), `${task.name}: a memo for the stop`);
    for (const call of readdirSync(path.join(run.run_dir, 'calls'))) t.ok(existsSync(path.join(run.run_dir, 'calls', call, 'stdout.log')), `${task.name} ${call}: raw output kept`);
  }
  const layers = new Set(report.tasks.map((x) => x.runs[0]?.layer));
  t.same([...layers].sort(), ['cli_sandbox', 'engine_check', 'os_sandbox', 'worker', 'workspace'], 'every layer is exercised');
});

t.test('garbage markers: the answer and its repair both failed to parse, never a worker failure', async (t) => {
  const events = timeline('garbage-markers');
  t.equal(events.filter((e) => e.type === 'parse.failed').length, 2);
  t.notOk(events.some((e) => e.type === 'worker.finished' && e.outcome !== 'ok'));
});

t.test('a hanging worker is cut by the idle limit', async (t) => {
  const finished = timeline('worker-hangs').filter((e) => e.type === 'worker.finished');
  t.ok(finished.at(-1).timed_out, 'the last call timed out');
  t.equal(finished.at(-1).step, 'implement', 'the hanging implementer, not a slow-starting planner');
});

t.test('a reviewer asking the same change again is caught as a loop before the review rounds run out', async (t) => {
  const events = timeline('reviewer-loops');
  const loop = events.find((e) => e.type === 'loop.detected');
  t.ok(loop, 'loop.detected is recorded');
  t.equal(events.at(-1).stop_reason, 'review_loop');
  t.ok(events.filter((e) => e.type === 'step.finished' && e.step === 'review').every((e) => e.outcome === 'request_changes'), 'every review asked for changes');
});

t.test('the call budget stops the third call before it is made', async (t) => {
  const events = timeline('call-budget');
  t.equal(events.filter((e) => e.type === 'worker.started' && e.step === 'implement').length, 2);
  t.match(events.find((e) => e.type === 'budget.exhausted'), { budget: 'worker_calls_per_milestone', limit: 2 });
});

t.test('an ignored .npmrc that would make npm run nothing: removed before the verification, which runs the tests and fails', async (t) => {
  const events = timeline('ignored-npmrc');
  const verified = events.find((e) => e.type === 'verify.finished');
  t.same(verified?.ignored_removed, { count: 2, paths: ['.gitignore', '.npmrc'] });
  t.equal(verified?.pass, false);
  t.match(readFileSync(path.join(only('ignored-npmrc').run_dir, verified.log), 'utf8'), /1990 !== 1800/, 'the failing test ran');
  t.notOk(events.some((e) => e.type === 'decision.made' && /verification green/.test(String(e.reason))), 'nothing auto-approved');
});

t.test('writes outside the roots and a lockfile: rolled back, kept in attempted.patch', async (t) => {
  for (const [name, rule, file] of [['write-outside-roots', 'outside_allowed_roots', 'docs/notes.md'], ['lockfile-without-allow-deps', 'dependency_file', 'package-lock.json']] as const) {
    const v = timeline(name).find((e) => e.type === 'governance.violation');
    t.same(v.violations.map((x: { path: string; rule: string }) => [x.path, x.rule]), [[file, rule]], `${name}: ${file} is the one violation`);
    t.match(readFileSync(path.join(only(name).run_dir, v.patch), 'utf8'), file, `${name}: the attempt kept`);
  }
});

t.test('a plan outside the roots is refused at acceptance, before any milestone', async (t) => {
  const events = timeline('plan-outside-roots');
  t.notOk(events.some((e) => e.type === 'plan.accepted' || e.type === 'milestone.started'), 'no plan accepted, no milestone started');
  const v = events.find((e) => e.type === 'governance.violation');
  t.same(v.violations.map((x: { path: string }) => x.path), ['../escape.txt', '.git/config', 'docs/x.md'], 'src/a.js is fine; the others are refused');
  t.ok(v.violations.every((x: { rule: string }) => x.rule === 'planned_outside_roots'));
  t.match(readFileSync(path.join(only('plan-outside-roots').run_dir, 'memo.md'), 'utf8'), /planned paths no worker may change/);
});

t.test("framework_fix_needed: the memo quotes the worker's needs", async (t) => {
  const memo = readFileSync(path.join(only('framework-fix-needed').run_dir, 'memo.md'), 'utf8');
  t.match(memo, '"a verification tier that can run the browser tests"');
});

t.test('symlink escape: the links are refused and rolled back; nothing was written through them', async (t) => {
  const run = only('symlink-escape');
  const v = timeline('symlink-escape').find((e) => e.type === 'governance.violation');
  const escapes = v.violations.filter((x: { rule: string }) => x.rule === 'symlink_escape').map((x: { path: string }) => x.path).sort();
  t.same(escapes, ['passwd', 'repo', 'up']);
  t.notOk(existsSync(path.join(run.repo, 'pwned.txt')), 'the write through the link to the user repo was refused');
});

t.test(".git tampering: the user's HEAD and refs are as they were; the run's branch has a.txt", async (t) => {
  const run = only('git-tampering');
  t.equal(readFileSync(path.join(run.repo, '.git', 'HEAD'), 'utf8'), 'ref: refs/heads/main\n');
  t.equal(gitIn(run.repo, 'for-each-ref', '--format=%(refname)', 'refs/heads/hostile'), '', 'no branch planted');
  t.equal(gitIn(run.repo, 'show', `engine/${run.run_id}:a.txt`), 'hello');
});

t.test('policy widening: the repo policy is untouched; the claims against the disk failed', async (t) => {
  const run = only('policy-widening');
  t.notOk(existsSync(path.join(run.repo, '.engine', 'policy.yaml')), 'no policy written into the user repo');
  t.match(run.detail, /claims it changed \.engine\/policy\.yaml/);
});

t.test('git commit in the workspace is inert for the user; read-only steps are refused by claude', async (t) => {
  const run = only('implementer-git-commit');
  t.same(gitIn(run.repo, 'for-each-ref', '--format=%(refname)').split('\n').sort(), [`refs/heads/engine/${run.run_id}`, 'refs/heads/main']);
  t.equal(gitIn(run.repo, 'show', `engine/${run.run_id}:a.txt`), 'hello');
  const explore = only('explore-git-commit');
  t.same(gitIn(explore.repo, 'for-each-ref', '--format=%(refname)').split('\n').sort(), [`refs/heads/engine/${explore.run_id}`, 'refs/heads/main']);
  t.notOk(existsSync(path.join(only('reviewer-writes').repo, '.engine', 'policy.yaml')));
  t.ok(existsSync(path.join(only('worker-rm-rf').repo, 'README.md')), 'rm -rf of the user repo never ran');
});
