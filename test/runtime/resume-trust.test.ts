import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { makeFixture, engine, engineBin, engineHere, bareNode, childEnv, readJsonl, testEngineHome, twoMilestones, type AgentScript, writeAgentScript } from '../helpers/run-fixture.js';
import { signalGroup } from '../../engine/proc/spawn-group.js';

// Resume trusts nothing the engine did not write (contract §5): the config a run started with
// (its snapshot in the run store, not the repo's current .engine/ files), a timeline that
// agrees with the last state.json, no half-made run, no second driver. Each attack goes through
// the CLI on a real git repo, with command workers: an engine process where the run is killed
// (a crash, a worker's SIGKILL) or driven by another engine, the CLI kernel in this process
// (`engineHere`) for the rest, on the stepping clock where the whole run is its.

const runDir = (repo: string, id: string) => path.join(repo, '.engine', 'runs', id);
type Fixture = ReturnType<typeof makeFixture>;
// The engine's own checks: the OS sandbox (on by default where bubblewrap works) would refuse
// these workers' writes into the run store and the repo, and hide the engine's pid from them.
const clock = { ENGINE_FAKE_CLOCK: '2026-01-02T03:04:05.000Z' };
const runArgs = (f: Fixture, id: string, extra: string[]) => ['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress', '--set', 'sandbox.mode=off', ...extra];
/** A run in an engine process of its own: for a run that is killed. */
const startKilled = (f: Fixture, id: string, env: NodeJS.ProcessEnv) => engine(runArgs(f, id, []), { cwd: f.dir, env });
/** A run in this process, on the stepping clock. */
const start = (f: Fixture, id: string, extra: string[] = []) => engineHere(runArgs(f, id, extra), { cwd: f.dir, env: clock });
/** A resume in this process: on the stepping clock for a run that was on it, on the real one after an engine process's. */
const resume = (f: Fixture, id: string, extra: string[] = [], env: NodeJS.ProcessEnv = clock) => engineHere(['resume', id, '--repo', f.repo, '--no-progress', ...extra], { cwd: f.dir, env });
const real = {};
const timeline = (f: Fixture, id: string) => readJsonl(path.join(runDir(f.repo, id), 'timeline.jsonl'));
const state = (f: Fixture, id: string) => JSON.parse(readFileSync(path.join(runDir(f.repo, id), 'state.json'), 'utf8'));
const onBranch = (f: Fixture, ref: string, file: string) => spawnSync('git', ['cat-file', '-e', `${ref}:${file}`], { cwd: f.repo, stdio: 'ignore' }).status === 0;

const repoPolicy = (roots: string[]) => stringify({ apiVersion: 'engine/v1', kind: 'Policy', governance: { allowed_roots: roots } });

t.test('a worker widens its roots in the repo\'s .engine/policy.yaml: resume keeps the snapshot, --reload-config shows and counts it', async (t) => {
  // The repo's policy allows src/** only. The implementer rewrites that policy to allow
  // everything (an absolute path: it reaches the user's repo) and writes evil.txt outside
  // the roots, on every attempt. Without the OS sandbox (which refuses that write: the
  // hostile task policy-widening shows it), the rewrite is seen after the step (the
  // checkout's .engine/ is watched, by content: the same bytes written again are no change)
  // and the engine's own config snapshot is what holds.
  const f0 = makeFixture();
  const policyFile = path.join(f0.repo, '.engine', 'policy.yaml');
  const widened = repoPolicy(['**']);
  const attack = { [policyFile]: widened, 'evil.txt': 'landed\n' };
  const script: AgentScript = { ...twoMilestones, writes: { 'implement#1#1': attack, 'implement#1#2': attack, 'implement#1#3': attack } };
  writeAgentScript(f0.scriptFile, script);
  mkdirSync(path.dirname(policyFile), { recursive: true });
  writeFileSync(policyFile, repoPolicy(['src/**', 'README.md']));
  const f = f0;

  const first = await start(f, 'widen');
  t.equal(first.code, 3, `the run stops on the violation\n${first.stderr}`);
  t.equal(readFileSync(policyFile, 'utf8'), widened, 'the worker did rewrite the repo policy');
  const violation = timeline(f, 'widen').find((e) => e.type === 'governance.violation');
  t.ok(violation.violations.some((v: { rule: string; path: string }) => v.rule === 'user_repo' && v.path === policyFile), "the rewrite of the checkout's .engine/policy.yaml is named");
  t.notOk(onBranch(f, 'engine/widen', 'evil.txt'), 'evil.txt is not on the run branch');
  const snap = readFileSync(path.join(runDir(f.repo, 'widen'), 'config', 'policy', '1-repo.policy.yaml'), 'utf8');
  t.match(snap, /src\/\*\*/, 'the run store holds the policy the run started with');

  const plain = await resume(f, 'widen');
  t.equal(plain.code, 3, `a plain resume keeps the snapshot's roots: the same violation\n${plain.stderr}`);
  t.notOk(onBranch(f, 'engine/widen', 'evil.txt'), 'a plain resume does not land evil.txt');
  t.match(plain.stderr, /config file\(s\) changed since the run started; the changes are ignored/);
  t.match(plain.stderr, /^-.*src\/\*\*/m, 'the diff shows the removed root');
  t.match(plain.stderr, /^\+ +- "?\*\*"?$/m, 'the diff shows the widened root');
  let events = timeline(f, 'widen');
  const resumed = events.find((e) => e.type === 'run.resumed');
  t.equal(resumed.config_reloaded, false);
  t.same(resumed.config_changes.map((c: { file: string; change: string }) => [c.file, c.change]), [['config/policy/1-repo.policy.yaml', 'changed']]);
  t.equal(resumed.policy_changed, false, 'the policy in effect is the one the run started with');
  const warning = events.find((e) => e.type === 'warning' && e.seq > resumed.seq);
  t.match(warning?.message, /config changed since the run started, ignored.*\.engine\/policy\.yaml/);
  t.equal(state(f, 'widen').counters.human_interventions, 0, 'an ignored change is no intervention');

  const reloaded = await resume(f, 'widen', ['--reload-config']);
  t.match(reloaded.stderr, /--reload-config: the run takes the current config/);
  t.match(reloaded.stderr, /^\+ +- "?\*\*"?$/m, 'the diff is printed');
  events = timeline(f, 'widen');
  const second = events.filter((e) => e.type === 'run.resumed').at(-1);
  t.equal(second.config_reloaded, true);
  t.equal(second.policy_changed, true);
  t.match(second.config_changes[0].diff, /\*\*/);
  const s = state(f, 'widen');
  t.equal(s.counters.human_interventions, 1, 'the reload is one human intervention');
  t.equal(s.kpis.human_interventions, 1);
  t.equal(reloaded.code, 0, `with the widened policy taken on purpose the run completes\n${reloaded.stderr}`);
  t.ok(onBranch(f, 'engine/widen', 'evil.txt'), 'what the user took with --reload-config is in effect');
  t.equal(readFileSync(path.join(runDir(f.repo, 'widen'), 'config', 'policy', '1-repo.policy.yaml'), 'utf8'), widened, 'the snapshot now holds the reloaded policy');
});

t.test('a worker rewrites the run\'s config snapshot: restored, exit 3, and resume uses what the engine wrote', async (t) => {
  const f = makeFixture({ policy: { governance: { allowed_roots: ['src/**', 'README.md'] } } });
  const copy = path.join(runDir(f.repo, 'snap'), 'config', 'policy', '2-policy.policy.yaml');
  const attack = { [copy]: stringify({ apiVersion: 'engine/v1', kind: 'Policy', governance: { allowed_roots: ['**'] } }), 'evil.txt': 'x\n' };
  writeAgentScript(f.scriptFile, { ...twoMilestones, writes: { 'implement#1#1': attack, 'implement#1#2': attack } });
  const r = await start(f, 'snap');
  t.equal(r.code, 3, r.stderr);
  const violation = timeline(f, 'snap').find((e) => e.type === 'governance.violation');
  t.ok(violation.violations.some((v: { path: string; rule: string }) => v.path === 'config/policy/2-policy.policy.yaml' && v.rule === 'run_store'), 'the snapshot is a checked run-store record');
  t.notMatch(readFileSync(copy, 'utf8'), /"\*\*"|- "?\*\*/, 'the engine put its copy back');
  const again = await resume(f, 'snap');
  t.equal(again.code, 3, again.stderr);
  t.notOk(onBranch(f, 'engine/snap', 'evil.txt'));

  // Changed while no engine runs: refused, naming the file.
  writeFileSync(copy, readFileSync(copy, 'utf8') + '# edited\n');
  const refused = await resume(f, 'snap');
  t.equal(refused.code, 2, refused.stderr);
  t.match(refused.stderr, /2-policy\.policy\.yaml.*error E_RESUME the run's config snapshot was changed since the engine wrote it/);
});

/** A worker that waits until state.json records its call, appends a forged event (built by `forge` from the timeline's last seq) and SIGKILLs the engine. */
function forgingWorker(dir: string, runDirectory: string, forge: string): string {
  const file = path.join(dir, 'forger.mjs');
  writeFileSync(
    file,
    `import { readFileSync, appendFileSync } from 'node:fs';
const tl = ${JSON.stringify(path.join(runDirectory, 'timeline.jsonl'))};
// The engine records this call in state.json as its process starts: a worker may run first.
// Waited for, so the engine is killed while state.json says the call is running.
let state;
for (const end = Date.now() + 10000; ; Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20)) {
  state = JSON.parse(readFileSync(${JSON.stringify(path.join(runDirectory, 'state.json'))}, 'utf8'));
  if (state.inflight?.call || Date.now() > end) break;
}
const lines = readFileSync(tl, 'utf8').trim().split('\\n');
const last = JSON.parse(lines.at(-1));
const forged = (${forge})(last, state);
appendFileSync(tl, forged.map((e) => JSON.stringify(e) + '\\n').join(''));
process.kill(process.ppid, 'SIGKILL');
setInterval(() => {}, 1000);
`,
  );
  return file;
}

function runKilled(f: Fixture, id: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const p = spawn('/usr/bin/env', [...bareNode, engineBin, 'run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress', '--set', 'sandbox.mode=off'], { cwd: f.dir, env: childEnv(), stdio: 'ignore' });
    p.on('close', (code, signal) => resolve({ code, signal }));
  });
}

t.test('a forged run.finished appended by the worker, then SIGKILL: resume refuses with exit 2 naming the line', async (t) => {
  const id = 'forged';
  let forger = '';
  const f = makeFixture({
    pipeline: (p) => {
      p.workers.implementer = { ...p.workers.implementer, bin: process.execPath, args: ['FORGER'] };
    },
  });
  forger = forgingWorker(f.dir, runDir(f.repo, id), `(last, state) => [{ seq: last.seq + 1, ts: new Date().toISOString(), type: 'run.finished', step: null, milestone: null, attempt: null, status: 'completed', stop_reason: 'completed', exit_code: 0, detail: 'all done', kpis: state.kpis }]`);
  writeFileSync(f.pipelineFile, readFileSync(f.pipelineFile, 'utf8').replace('FORGER', forger));
  const killed = await runKilled(f, id);
  t.equal(killed.signal, 'SIGKILL', 'the worker killed the engine');
  // The forger outlives the engine it killed (no sandbox here), and the refused resume leaves
  // it be: end its group, as the next resume would.
  t.teardown(() => {
    const inflight = state(f, id).inflight as { pgid: number } | null;
    if (inflight) signalGroup(inflight.pgid, 'SIGKILL');
  });
  const before = readFileSync(path.join(runDir(f.repo, id), 'timeline.jsonl'), 'utf8');
  const lineNo = before.trim().split('\n').length;
  t.equal(JSON.parse(before.trim().split('\n').at(-1)!).type, 'run.finished', 'the forged line is there');

  const r = await resume(f, id, [], real);
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, new RegExp(`timeline\\.jsonl:${lineNo}:1: error E_RESUME timeline\\.jsonl line ${lineNo} \\(seq \\d+, "run\\.finished"\\) was not written by the engine: state\\.json says worker call calls/\\S+ was running`));
  t.equal(readFileSync(path.join(runDir(f.repo, id), 'timeline.jsonl'), 'utf8'), before, 'a refusal records nothing');
  t.equal(state(f, id).status, 'running', 'the run is not reported completed');
  t.notOk(existsSync(path.join(runDir(f.repo, id), 'summary.md')) && /completed/.test(readFileSync(path.join(runDir(f.repo, id), 'summary.md'), 'utf8')), 'no completed summary');
  const report = await engineHere(['report', id, '--repo', f.repo], { cwd: f.dir });
  t.not(report.code, 70, `report does not crash on it\n${report.stderr}`);
});

t.test('timeline forgeries in a stopped run: a seq gap, a consistent-looking foreign tail, a changed line, a cut file', async (t) => {
  const f = makeFixture();
  t.equal((await start(f, 'gap', ['--max-ticks', '2'])).code, 1);
  const file = path.join(runDir(f.repo, 'gap'), 'timeline.jsonl');
  const original = readFileSync(file, 'utf8');
  const lines = original.trim().split('\n');
  const last = JSON.parse(lines.at(-1)!);
  const s = state(f, 'gap');

  // A gap: seq last+2.
  appendFileSync(file, JSON.stringify({ ...last, seq: last.seq + 2 }) + '\n');
  let r = await resume(f, 'gap');
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, new RegExp(`timeline\\.jsonl:${lines.length + 1}:1: error E_RESUME timeline\\.jsonl line ${lines.length + 1} has seq ${last.seq + 2} where ${last.seq + 1} was due`));

  // The right seq, but a step's end after the run stopped.
  writeFileSync(file, original + JSON.stringify({ seq: last.seq + 1, ts: last.ts, type: 'step.finished', step: 'final_verify', milestone: 2, attempt: 1, kind: 'verify', outcome: 'pass', next: 'done', duration_ms: 1, patch: {}, tree: s.workspace_tree }) + '\n');
  r = await resume(f, 'gap');
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /"step\.finished"\) was not written by the engine: state\.json says the run stopped \(budget_exhausted\)/);

  // A completed run.finished where the persisted machine is not done.
  writeFileSync(file, original + JSON.stringify({ seq: last.seq + 1, ts: last.ts, type: 'run.finished', step: null, milestone: null, attempt: null, status: 'completed', stop_reason: 'completed', exit_code: 0, detail: 'x', kpis: s.kpis }) + '\n');
  r = await resume(f, 'gap');
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /"run\.finished"\) was not written by the engine: state\.json says the run stopped \(budget_exhausted\)/);

  // A line the engine wrote, changed in place.
  writeFileSync(file, original.replace('"type":"step.started"', '"type":"step.started","forged":true'));
  r = await resume(f, 'gap');
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /error E_RESUME timeline\.jsonl lines 1-\d+ \(through seq \d+\) are not what the engine wrote/);

  // The last lines cut off.
  writeFileSync(file, lines.slice(0, -2).join('\n') + '\n');
  r = await resume(f, 'gap');
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /is shorter .* than the \d+ bytes the engine had written/);

  // Put back as the engine wrote it, the run resumes.
  writeFileSync(file, original);
  r = await resume(f, 'gap');
  t.equal(r.code, 0, r.stderr);
  const after = timeline(f, 'gap');
  t.same(after.map((e) => e.seq), after.map((_, i) => i + 1));
});

t.test('a crashed run with a foreign step end in its tail: refused; the same tail as the engine wrote it replays', async (t) => {
  // Killed right after the first worker call of implement ended: state.json stands at the
  // implement step, and worker.finished is in the tail (the crash window).
  const f = makeFixture();
  const killed = startKilled(f, 'tail', { ENGINE_FAULT: 'kill@worker.finished#2' });
  t.equal(killed.signal, 'SIGKILL');
  const file = path.join(runDir(f.repo, 'tail'), 'timeline.jsonl');
  const original = readFileSync(file, 'utf8');
  const last = JSON.parse(original.trim().split('\n').at(-1)!);
  const s = state(f, 'tail');
  t.equal(last.type, 'worker.finished');
  t.ok(last.seq > s.last_seq, 'worker.finished is past last_seq');
  const lineNo = original.trim().split('\n').length + 1;
  // A step end the worker would like: the final verification passed, for a step the run is not at.
  writeFileSync(file, original + JSON.stringify({ seq: last.seq + 1, ts: last.ts, type: 'step.finished', step: 'final_verify', milestone: 1, attempt: 1, kind: 'verify', outcome: 'pass', next: 'done', duration_ms: 1, patch: {}, tree: s.workspace_tree }) + '\n');
  let r = await resume(f, 'tail', [], real);
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, new RegExp(`timeline\\.jsonl:${lineNo}:1: error E_RESUME timeline\\.jsonl line ${lineNo} \\(seq ${last.seq + 1}, "step\\.finished"\\) was not written by the engine: state\\.json stands at step "${s.position.step}"`));
  // A run.finished right after a worker call, with no step end before it.
  writeFileSync(file, original + JSON.stringify({ seq: last.seq + 1, ts: last.ts, type: 'run.finished', step: null, milestone: null, attempt: null, status: 'completed', stop_reason: 'completed', exit_code: 0, detail: 'x', kpis: s.kpis }) + '\n');
  r = await resume(f, 'tail', [], real);
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /"run\.finished"\) was not written by the engine: state\.json stands at step "implement" of a pipeline that has not reached a completed stop/);
  writeFileSync(file, original);
  r = await resume(f, 'tail', [], real);
  t.equal(r.code, 0, `the engine's own tail replays\n${r.stderr}`);
});

t.test('killed while the run is being created: report survives, resume cleans up, the id can be used again', async (t) => {
  for (const point of ['run.creating', 'run.workspace']) {
    const f = makeFixture();
    const id = `half-${point.replace('.', '-')}`;
    const killed = startKilled(f, id, { ENGINE_FAULT: `kill@${point}#1` });
    t.equal(killed.signal, 'SIGKILL', `${point}: killed while creating`);
    const dir = runDir(f.repo, id);
    t.ok(existsSync(dir), `${point}: the run directory was made`);
    t.notOk(existsSync(path.join(dir, 'state.json')), `${point}: no state.json yet`);
    if (point === 'run.workspace') t.match(f.git('branch', '--list', `engine/${id}`), new RegExp(`engine/${id}`), 'the branch was made');
    const home = path.join(testEngineHome(), 'workspaces');
    const made = point === 'run.workspace' ? readdirSync(home).map((d) => path.join(home, d, id)).filter((w) => existsSync(w)) : [];
    if (point === 'run.workspace') t.equal(made.length, 1, 'the workspace was made');

    for (const args of [['report', '--repo', f.repo], ['report', 'latest', '--repo', f.repo], ['report', id, '--repo', f.repo], ['report', '--all', '--repo', f.repo, '--json']]) {
      const r = await engineHere(args, { cwd: f.dir });
      t.ok(r.code === 0 || r.code === 2, `${point}: engine ${args.join(' ')} exits ${r.code}, not a crash\n${r.stderr}`);
    }

    const r = await resume(f, id, [], real);
    t.equal(r.code, 2, r.stderr);
    t.match(r.stderr, /error E_RESUME run \S+ was stopped while it was being created, before its first step, so there is nothing to resume; removed what it had made/);
    t.notOk(existsSync(dir), `${point}: the half-made run directory is gone`);
    t.equal(f.git('branch', '--list', `engine/${id}`), '', `${point}: no branch is left`);
    t.equal(f.git('worktree', 'list').split('\n').length, 1, `${point}: no worktree is left`);
    for (const w of made) t.notOk(existsSync(w) || existsSync(`${w}.git`), `${point}: the workspace and its engine git dir are gone`);

    const again = await start(f, id);
    t.equal(again.code, 0, `${point}: the same id runs to the end\n${again.stderr}`);
  }

  // A new run with the id of a half-made one takes its place.
  const f = makeFixture();
  t.equal(startKilled(f, 'reuse', { ENGINE_FAULT: 'kill@run.workspace#1' }).signal, 'SIGKILL');
  const r = await start(f, 'reuse');
  t.equal(r.code, 0, r.stderr);
  t.equal(state(f, 'reuse').status, 'completed');
});

t.test('resume while another engine drives the run: exit 2, not 70', async (t) => {
  const f = makeFixture({ script: { ...twoMilestones, hang: { 'implement#1#1': 1 } } });
  const p = spawn('/usr/bin/env', [...bareNode, engineBin, 'run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'busy', '--no-progress'], { cwd: f.dir, env: childEnv(), stdio: 'ignore' });
  const closed = new Promise<number | null>((resolve) => p.on('close', (code) => resolve(code)));
  const stateFile = path.join(runDir(f.repo, 'busy'), 'state.json');
  // Wait until the worker call is in flight (the engine holds the run lock throughout).
  for (;;) {
    const s = existsSync(stateFile) ? (() => { try { return JSON.parse(readFileSync(stateFile, 'utf8')); } catch { return null; } })() : null;
    if (s?.inflight?.step === 'implement') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const r = await resume(f, 'busy', [], real);
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, new RegExp(`run\\.lock: error E_RESUME run busy is still being driven \\(run is being driven by engine process ${p.pid}\\)`));
  p.kill('SIGTERM');
  t.equal(await closed, 130, 'the driving engine stops interrupted');
  writeAgentScript(f.scriptFile, twoMilestones);
  const after = await resume(f, 'busy', [], real);
  t.equal(after.code, 0, `once it stopped, the run resumes\n${after.stderr}`);
});

t.test('a secret written into the pipeline stays out of the snapshot, and resume still runs the pipeline', async (t) => {
  const secret = 'sk-pipeline-secret-42';
  const f = makeFixture({
    pipeline: (p) => {
      p.workers.implementer = { ...p.workers.implementer, env: { ...p.workers.implementer.env, OPENAI_API_KEY: secret } };
    },
  });
  t.equal((await start(f, 'sec', ['--max-ticks', '2'])).code, 1);
  const copy = readFileSync(path.join(runDir(f.repo, 'sec'), 'config', 'pipeline.yaml'), 'utf8');
  t.notMatch(copy, secret, 'the copy holds no secret');
  t.match(copy, /OPENAI_API_KEY: "?\[REDACTED:OPENAI_API_KEY\]/);
  const resumed = await resume(f, 'sec');
  t.equal(resumed.code, 0, `the same pipeline but for its secret: resumed from the file itself\n${resumed.stderr}`);
  t.notMatch(resumed.stderr, /changed since the run started/);

  // Changed elsewhere: the redacted copy cannot stand in for it.
  const g = makeFixture({
    pipeline: (p) => {
      p.workers.implementer = { ...p.workers.implementer, env: { ...p.workers.implementer.env, OPENAI_API_KEY: secret } };
    },
  });
  t.equal((await start(g, 'sec2', ['--max-ticks', '2'])).code, 1);
  writeFileSync(g.pipelineFile, readFileSync(g.pipelineFile, 'utf8').replace('idle_timeout_s: 20', 'idle_timeout_s: 21'));
  const refused = await resume(g, 'sec2');
  t.equal(refused.code, 2, refused.stderr);
  t.match(refused.stderr, /changed since the run started, and the run's copy \(config\/pipeline\.yaml\) has its secrets redacted/);
  t.notMatch(refused.stderr, secret);
  const reloaded = await resume(g, 'sec2', ['--reload-config']);
  t.equal(reloaded.code, 0, reloaded.stderr);
  t.notMatch(reloaded.stderr, secret, 'the diff shown holds no secret');
  t.notMatch(readFileSync(path.join(runDir(g.repo, 'sec2'), 'timeline.jsonl'), 'utf8'), secret, 'nor does the recorded diff');
});

t.test('state.json changed while no engine runs: a branch not the run\'s, a workspace in the user\'s repo: refused', async (t) => {
  // A worker without the OS sandbox can reach the run store after the engine has exited
  // (a hostile probe did it with a setsid'd process that waited for the stop): trusted as it
  // was, state.json named the user's main as the run's branch, and the resumed run's
  // checkpoint moved main under the user's checkout.
  const f = makeFixture();
  const first = await start(f, 'forge', ['--max-ticks', '3']);
  t.equal(first.code, 1, `the run stops on its budget, resumable\n${first.stderr}`);
  const file = path.join(runDir(f.repo, 'forge'), 'state.json');
  const good = readFileSync(file, 'utf8');
  const mainBefore = spawnSync('git', ['rev-parse', 'main'], { cwd: f.repo, encoding: 'utf8' }).stdout.trim();
  const statusBefore = spawnSync('git', ['status', '--porcelain'], { cwd: f.repo, encoding: 'utf8' }).stdout;
  const forged: [string, Record<string, unknown>, RegExp][] = [
    ['branch', { branch: 'main' }, /state\.json names the branch main, not the run's own engine\/forge/],
    ['branch', { branch: 'engine/other-run' }, /not the run's own engine\/forge/],
    ['workspace', { workspace: f.repo }, /state\.json puts the run's workspace .* in the user's repository/],
    ['workspace', { workspace: path.dirname(f.repo) }, /state\.json puts the run's workspace .* around the user's repository/],
    ['run id', { run_id: 'someone-else' }, /state\.json names run someone-else, but its directory is forge/],
  ];
  for (const [what, change, message] of forged) {
    writeFileSync(file, JSON.stringify({ ...JSON.parse(good), ...change }, null, 2));
    const r = await resume(f, 'forge');
    t.equal(r.code, 2, `a forged ${what}: refused\n${r.stderr}`);
    t.match(r.stderr, /error E_RESUME/);
    t.match(r.stderr, message, `a forged ${what}: the message says what is wrong`);
    t.equal(spawnSync('git', ['rev-parse', 'main'], { cwd: f.repo, encoding: 'utf8' }).stdout.trim(), mainBefore, `a forged ${what}: the user's main did not move`);
    t.equal(spawnSync('git', ['status', '--porcelain'], { cwd: f.repo, encoding: 'utf8' }).stdout, statusBefore, `a forged ${what}: the user's checkout is as it was`);
  }
  writeFileSync(file, good);
  const fine = await resume(f, 'forge');
  t.equal(fine.code, 0, `the state the engine wrote resumes\n${fine.stderr}`);
  t.equal(spawnSync('git', ['rev-parse', 'main'], { cwd: f.repo, encoding: 'utf8' }).stdout.trim(), mainBefore, "main is where the user left it; the run's branch moved");
});
