import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeFixture, engine, workspaceOf } from '../helpers/run-fixture.js';
import { fakeGit } from '../helpers/fake-git.js';

// A git the engine started and that was killed (the machine went down, the OOM killer, a
// second Ctrl-C's SIGKILL, `kill -9` of its group) leaves its lock file behind: `index.lock`
// in the engine's git dir of the workspace, or the lock of the run's branch in the user's
// repository. git refuses to run while one is there, and resume exited 70 ("internal error")
// on the first `git add`. The run lock says no other engine drives the run: a lock no process
// holds open is a dead git's, and resume removes it; one a live process holds is waited for,
// then refused with what holds it.

/** A two-milestone run killed as its review step begins (the implement step's snapshot made). */
function killedRun(id: string) {
  const f = makeFixture();
  const run = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress'], { cwd: f.dir, env: { ENGINE_FAULT: 'kill@step.started#6' } });
  const ws = workspaceOf(f.repo, id);
  const branchLock = path.join(f.repo, '.git', 'refs', 'heads', 'engine', `${id}.lock`);
  return { f, run, ws, indexLock: path.join(`${ws}.git`, 'index.lock'), branchLock };
}

const resume = (f: ReturnType<typeof makeFixture>, id: string) => engine(['resume', id, '--repo', f.repo, '--no-progress'], { cwd: f.dir });

t.test("a dead git's index.lock and branch lock: resume removes them and the run completes", async (t) => {
  const { f, run, indexLock, branchLock } = killedRun('stale');
  t.equal(run.signal, 'SIGKILL', 'the engine was killed');
  writeFileSync(indexLock, '');
  mkdirSync(path.dirname(branchLock), { recursive: true });
  writeFileSync(branchLock, '');
  const resumed = resume(f, 'stale');
  t.equal(resumed.code, 0, resumed.stderr.slice(-1500));
  t.notOk(existsSync(indexLock), 'the index lock is gone');
  t.notOk(existsSync(branchLock), 'the branch lock is gone');
  const log = f.git("log", "--format=%s", "engine/stale");
  t.match(log, /milestone 1 m1/, 'milestone 1 on the branch');
  t.match(log, /milestone 2 m2/, 'milestone 2 on the branch');
  const state = JSON.parse(readFileSync(path.join(f.repo, '.engine', 'runs', 'stale', 'state.json'), 'utf8'));
  t.equal(state.status, 'completed');
});

t.test('a lock a live process holds: resume waits, then refuses and names the process; once it is gone resume goes on', async (t) => {
  const { f, indexLock } = killedRun('held');
  writeFileSync(indexLock, '');
  // A process with the lock open, as a git still writing it would have.
  const holder = spawn('/bin/sh', ['-c', 'exec 3>>"$1"; echo ready; exec sleep 60', 'sh', indexLock], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => holder.kill('SIGKILL'));
  await new Promise((r) => holder.stdout.once('data', r));
  const refused = resume(f, 'held');
  t.equal(refused.code, 2, refused.stderr.slice(-1500));
  t.match(refused.stderr, new RegExp(`index\\.lock is held open by process ${holder.pid}`));
  t.ok(existsSync(indexLock), 'a held lock is left where it is');
  holder.kill('SIGKILL');
  await new Promise((r) => holder.once('close', r));
  const resumed = resume(f, 'held');
  t.equal(resumed.code, 0, resumed.stderr.slice(-1500));
  t.notOk(existsSync(indexLock));
});

// A process left running that puts index.lock back each time it is removed, no process holding
// it open: resume cannot tell it from a dead git's until it comes back. A git put first on
// the engine's PATH stands for that process, so the lock is back before every git the engine
// runs on its own git dir, whatever the timing: resume refuses (exit 2, never 70), names the
// lock and says why, and changes nothing of the run; with that process gone resume completes.
t.test('a lock put back before every git of the engine: resume refuses and says why; once it stops resume goes on', async (t) => {
  const { f, ws, indexLock } = killedRun('replant');
  const gitLog = path.join(f.dir, 'planted-before.log');
  const bin = fakeGit(f.dir, 'replanting', `case "$*" in *"${ws}.git"*) : > "${indexLock}"; echo "$*" >> "${gitLog}";; esac`);
  const stateFile = path.join(f.repo, '.engine', 'runs', 'replant', 'state.json');
  const before = readFileSync(stateFile, 'utf8');
  const branchBefore = f.git('rev-parse', 'engine/replant');
  const refused = engine(['resume', 'replant', '--repo', f.repo, '--no-progress'], { cwd: f.dir, env: { PATH: `${bin}:${process.env.PATH}` } });
  t.equal(refused.code, 2, refused.stderr.slice(-1500));
  t.match(refused.stderr, /E_RESUME/);
  t.match(refused.stderr, `${indexLock} put back each time it was removed`, 'names the lock and that it came back');
  t.match(refused.stderr, /end the process that puts it back, then resume/, 'says what to do');
  t.ok(readFileSync(gitLog, 'utf8').split('\n').filter(Boolean).length >= 2, 'the lock was put back before more than one git');
  t.equal(readFileSync(stateFile, 'utf8'), before, "the run's state is as it was");
  t.equal(f.git('rev-parse', 'engine/replant'), branchBefore, "the run's branch is where it was");
  const resumed = resume(f, 'replant');
  t.equal(resumed.code, 0, resumed.stderr.slice(-1500));
  t.notOk(existsSync(indexLock), 'the last lock it put back is gone');
  t.equal(JSON.parse(readFileSync(stateFile, 'utf8')).status, 'completed');
});

t.test('locks that are folders: resume removes them too (git cannot take the name either)', async (t) => {
  const { f, indexLock, branchLock } = killedRun('dirs');
  mkdirSync(path.join(indexLock, 'sub'), { recursive: true });
  mkdirSync(branchLock, { recursive: true });
  const resumed = resume(f, 'dirs');
  t.equal(resumed.code, 0, resumed.stderr.slice(-1500));
  t.notOk(existsSync(indexLock));
  t.notOk(existsSync(branchLock));
});

t.test("a link at the user's refs/heads/engine: resume removes nothing through it", async (t) => {
  const { f } = killedRun('linked');
  const victim = path.join(f.dir, 'victim');
  const engineRefs = path.join(f.repo, '.git', 'refs', 'heads', 'engine');
  renameSync(engineRefs, victim);
  symlinkSync(victim, engineRefs);
  writeFileSync(path.join(victim, 'linked.lock'), 'not a lock of the run\n');
  const resumed = resume(f, 'linked');
  t.not(resumed.code, 70, resumed.stderr.slice(-1500));
  t.equal(readFileSync(path.join(victim, 'linked.lock'), 'utf8'), 'not a lock of the run\n', 'the file behind the link is where it was');
});

// A command step runs code the worker wrote, and measured its change with a snapshot of its
// own before governance looked: the engine's git dir made immutable there ended the run as an
// internal error, every other check skipped (found in review). Now governance's look meets it.
t.test("a command step that takes the engine's git dir: a violation, not an internal error", async (t) => {
  const take = 'if [ "$(id -u)" = 0 ]; then chattr -R +i "$PWD.git"; else chmod -R a-w "$PWD.git"; fi';
  const f = makeFixture({
    policy: { sandbox: { mode: 'off' } },
    pipeline: (p) => {
      const verify = p.steps.find((s: { id: string }) => s.id === 'verify');
      verify.on.pass = 'take';
      p.steps.push({ id: 'take', type: 'command', run: `echo "x $$ $(date +%s%N)" > src/new.txt; ${take}`, on: { pass: 'approval', fail: 'approval' } });
    },
  });
  const run = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'cmd', '--no-progress'], { cwd: f.dir });
  const ws = workspaceOf(f.repo, 'cmd');
  try {
    t.equal(run.code, 3, run.stderr.slice(-1500));
    const events = readFileSync(path.join(f.repo, '.engine', 'runs', 'cmd', 'timeline.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    t.ok(events.some((e) => e.type === 'command.finished' && e.step === 'take'), 'the command ran');
    const violation = events.find((e) => e.type === 'governance.violation');
    t.ok(violation?.violations.some((v: { rule: string }) => v.rule === 'engine_git'), JSON.stringify(violation?.violations));
  } finally {
    if (process.getuid?.() === 0) spawnSync('chattr', ['-R', '-i', `${ws}.git`]);
    else spawnSync('chmod', ['-R', 'u+w', `${ws}.git`]);
  }
});

// A new user's repo had refs/heads/engine/<id>.lock left from a git killed earlier: the run
// stopped with exit 70 (an internal error) as it made its branch, its last line sent the user
// to a resume that could not help, and a second run met the same exit 70.
t.test("a lock on the new run's branch: refused with its path, nothing kept; once removed, the run goes", async (t) => {
  const f = makeFixture();
  const lock = path.join(f.repo, '.git', 'refs', 'heads', 'engine', 'fresh.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  writeFileSync(lock, '');
  const args = ['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'fresh', '--no-progress'];
  const refused = engine(args, { cwd: f.dir });
  t.equal(refused.code, 2, refused.stderr.slice(-1500));
  t.match(refused.stderr, /error E_USAGE the run's branch engine\/fresh cannot be made: .*refs\/heads\/engine\/fresh\.lock is in the way .*remove it \(rm '.*fresh\.lock'\) and run again/);
  t.notMatch(refused.stderr, /internal error|resume/, 'no engine error, no resume to try');
  t.ok(existsSync(lock), "the lock is the user's to remove");
  t.notOk(existsSync(path.join(f.repo, '.engine', 'runs', 'fresh')), 'no run kept');
  t.equal(spawnSync('git', ['rev-parse', '--verify', '--quiet', 'refs/heads/engine/fresh'], { cwd: f.repo }).status, 1, 'no branch made');
  t.equal(engine(args, { cwd: f.dir }).code, 2, 'a second try: the same refusal');
  rmSync(lock);
  const ran = engine(args, { cwd: f.dir });
  t.equal(ran.code, 0, ran.stderr.slice(-1500));
});
