import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { engine, makeFixture, readJsonl } from '../helpers/run-fixture.js';
import { loadValidator } from '../../engine/config/validators.js';

// `engine run` makes the doctor's fast checks before its first step; a blocking finding stops
// the run doctor_blocked (exit 4), recorded like any other stop.

t.test('a worker whose bin is missing stops the run doctor_blocked before any call', async (t) => {
  const f = makeFixture({ pipeline: (p) => (p.workers.implementer = { use: 'codex', bin: path.join('/nonexistent', 'codex') }) });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  // A key in the environment: the login is not what this test is about (test/doctor/login.test.ts).
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--policy', f.policyFile, '--goal', 'g', '--run-id', 'blocked'], { cwd: f.dir, env: { OPENAI_API_KEY: 'test-key' } });
  t.equal(r.code, 4, r.stdout + r.stderr);
  const runDir = path.join(f.repo, '.engine', 'runs', 'blocked');

  const state = JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8'));
  t.match(state, { status: 'stopped', stop_reason: 'doctor_blocked', stop_detail: /worker\.implementer: .*\/nonexistent\/codex not found; run `engine doctor \S*test\.pipeline\.yaml --repo \S*repo --policy \S*test\.policy\.yaml` for details/ });
  t.equal(state.counters.worker_calls, 0, 'no worker was called');

  const events = readJsonl(path.join(runDir, 'timeline.jsonl'));
  t.same(events.map((e) => e.type), ['run.started', 'doctor.blocked', 'run.finished']);
  t.same(events.map((e) => e.seq), [1, 2, 3]);
  t.match(events[1].findings, [{ id: 'worker.implementer', status: 'block', message: /bin \/nonexistent\/codex not found/, hint: /workers\.implementer\.bin/ }]);
  t.match(events[2], { status: 'stopped', stop_reason: 'doctor_blocked', exit_code: 4 });
  const validator = await loadValidator('event');
  for (const e of events) t.same(validator!.validate(e), [], `${e.type} matches schemas/event.schema.json`);

  const memo = readFileSync(path.join(runDir, 'memo.md'), 'utf8');
  t.match(memo, /# Run blocked stopped: doctor_blocked/);
  t.match(memo, /^- at step: none \(the run stopped before its first step\)$/m, 'not the step it would have begun with');
  t.match(memo, /## Doctor findings\n\n.*\n\n- worker\.implementer: worker implementer \(codex\): bin \/nonexistent\/codex not found — fix workers\.implementer\.bin/);
  t.match(memo, /Run `engine doctor \S*test\.pipeline\.yaml --repo \S*repo --policy \S*test\.policy\.yaml` for details/, "the policy the run was given too");
  const env = JSON.parse(readFileSync(path.join(runDir, 'env.json'), 'utf8'));
  t.same(env.workers.implementer, { plugin: 'codex', bin: 'codex', version: null }, 'env.json records what was found');
  const summary = readFileSync(path.join(runDir, 'summary.md'), 'utf8');
  t.match(summary, /run `engine doctor .*` for details/);
  // What blocks and what to do are where the user looks first, the summary and the terminal,
  // not in memo.md alone (a demo installed without the CLIs said only "not installed").
  t.match(summary, /## Next\n\nThe run stopped before its first step: .*\n\n- worker\.implementer: .*bin \/nonexistent\/codex not found — fix workers\.implementer\.bin/);
  t.match(r.stderr, /^blocked before the first step; the preflight found:\n  worker\.implementer: .*bin \/nonexistent\/codex not found — fix workers\.implementer\.bin.*\nrun stopped: doctor_blocked — fix what is above \(1 finding\), then start a new run; `engine doctor \S*test\.pipeline\.yaml --repo \S*repo --policy \S*test\.policy\.yaml` checks again$/m);
  // A bare `engine doctor` checked the repo's .engine/pipeline.yaml and policy, not the run's:
  // other findings, or none, for a run blocked by its own pipeline's worker.
  // Nothing ran and resume refuses it: its branch (at the base) and its workspace were left in
  // the user's repo and under ENGINE_HOME for every blocked attempt.
  t.equal(execFileSync('git', ['branch', '--list', 'engine/*'], { cwd: f.repo, encoding: 'utf8' }), '', 'no run branch is left in the repo');
  t.notOk(existsSync(state.workspace), 'nor the workspace');
  t.match(readFileSync(path.join(runDir, 'summary.md'), 'utf8'), /- branch: none \(removed with the workspace: the run was blocked before its first step\)/);

  const resumed = engine(['resume', 'blocked', '--repo', f.repo, '--no-progress'], { cwd: f.dir });
  t.equal(resumed.code, 2, 'a blocked run never started: resume refuses it');
  t.match(resumed.stderr, /E_RESUME run blocked stopped doctor_blocked before its first step; fix what `engine doctor` reports and start a new run/);
});

t.test('--json: the blocked run still ends with run.finished', async (t) => {
  const f = makeFixture({ pipeline: (p) => (p.workers.planner = { use: 'command', bin: './no-such-agent' }) });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--policy', f.policyFile, '--goal', 'g', '--json'], { cwd: f.dir });
  t.equal(r.code, 4, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(lines[0].type, 'run.started');
  t.match(lines[1], { type: 'doctor.blocked', findings: [{ id: 'worker.planner', message: /\.\/no-such-agent not found/ }] });
  t.match(lines.at(-1), { type: 'run.finished', stop_reason: 'doctor_blocked', exit_code: 4 });
});

t.test('a bin that is there but not executable, or a directory, is said to be so (not "not found")', async (t) => {
  // A new user's probe was told 'not found' of a script that lacked its execute bit.
  for (const [make, said] of [
    [(file: string) => writeFileSync(file, '#!/bin/sh\necho hi\n', { mode: 0o644 }), /bin \.\/agent is not executable \(chmod \+x it/],
    [(file: string) => mkdirSync(file), /bin \.\/agent is a directory, not a program/],
  ] as const) {
    const f = makeFixture({ pipeline: (p) => (p.workers.planner = { use: 'command', bin: './agent' }) });
    t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
    make(path.join(f.repo, 'agent'));
    const r = engine(['doctor', f.pipelineFile, '--repo', f.repo, '--json'], { cwd: f.dir });
    const check = (JSON.parse(r.stdout) as { checks: { id: string; status: string; message: string }[] }).checks.find((c) => c.id === 'worker.planner');
    t.match(check, { status: 'block', message: said });
  }
});

t.test('without git on PATH the run is refused with exit 4 and nothing is created', async (t) => {
  const f = makeFixture();
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--policy', f.policyFile, '--goal', 'g', '--json'], { cwd: f.dir, env: { PATH: path.join(f.dir, 'empty-path') } });
  t.equal(r.code, 4, r.stderr);
  t.match(JSON.parse(r.stdout), { type: 'run.rejected', exit_code: 4, diagnostics: [{ code: 'E_DOCTOR', message: /^git: git is not installed/ }] });
  t.notOk(existsSync(path.join(f.repo, '.engine', 'runs')), 'no run store');
});
