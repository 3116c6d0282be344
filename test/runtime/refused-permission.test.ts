// test cost: about 15 s: nine runs, two resumes and a clean of the scripted agent.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engine, makeFixture, readJsonl, writePreludeRun } from '../helpers/run-fixture.js';
import { permissionRefusalOf } from '../../engine/util/permission-refusal.js';
import { parseFaults } from '../../engine/store/fault.js';
import { removeTree } from '../../engine/util/remove-tree.js';
import { groupAlive } from '../../engine/proc/spawn-group.js';
import { reportBug, reportMachineFailure, reportRefusedPermission } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';

// A file or folder the engine must write that the system refuses it (another owner after a
// `sudo git`, a mode, `chattr +i`) is neither the engine's bug (exit 70, "please report") nor
// bad input: E_PERMISSION, exit 77, naming the place; a run it stopped resumes once the place
// is given back (docs/errors.md). Each of the places below ended a run as an internal error.

const errno = (code: string, syscall: string, file?: string) => Object.assign(new Error(`${code}: ${syscall} '${file}'`), { code, syscall, ...(file ? { path: file } : {}) });

const gitError = (stderr: string) => Object.assign(new Error(`git update-ref failed: ${stderr}`), { name: 'GitError', stderr });

t.test('permissionRefusalOf: a file system call refused (its path or none), git in its own words, nothing else', async (t) => {
  t.equal(permissionRefusalOf(errno('EPERM', 'mkdir', '/h/workspaces/r/1')), 'mkdir /h/workspaces/r/1: operation not permitted');
  t.equal(permissionRefusalOf(errno('EACCES', 'open', '/r/.engine/runs/1/state.json')), 'open /r/.engine/runs/1/state.json: permission denied');
  t.equal(permissionRefusalOf(errno('EACCES', 'spawn /x/bin', '/x/bin')), 'spawn /x/bin: permission denied');
  t.equal(permissionRefusalOf(errno('EPERM', 'write')), 'write (a file the engine had open): operation not permitted', 'a write on a descriptor names no file');
  t.equal(permissionRefusalOf(errno('EPERM', 'kill')), null, "a signal refused to another user's process is no file: not this");
  t.equal(
    permissionRefusalOf(gitError("fatal: update_ref failed for ref 'refs/heads/engine/1': cannot lock ref 'refs/heads/engine/1': Unable to create '/r/.git/refs/heads/engine/1.lock': Operation not permitted")),
    'git could not write /r/.git/refs/heads/engine/1.lock: operation not permitted',
  );
  t.equal(permissionRefusalOf(gitError('error: insufficient permission for adding an object to repository database .git/objects\nerror: x: failed to insert into database')), 'git was refused a file: insufficient permission');
  t.equal(permissionRefusalOf(gitError("error: invalid path 'Permission denied'")), null, "a worker's file named after the words is not the words");
  t.equal(permissionRefusalOf(Object.assign(new Error("rm: cannot remove '/w/error: x': Operation not permitted"), { stderr: "error: x: Permission denied" })), null, 'words in anything but a GitError are not read: a worker can make them');
  t.equal(permissionRefusalOf(new Error('fatal: the plan: Permission denied')), null);
  t.equal(permissionRefusalOf(new TypeError("Cannot read properties of undefined (reading 'x')")), null, 'a bug stays a bug');
});

t.test('ENGINE_FAULT: kill and throw points', async (t) => {
  t.same(parseFaults('kill@run.finished#1, throw@worker.spawned#2,bogus'), [
    { action: 'kill', type: 'run.finished', n: 1 },
    { action: 'throw', type: 'worker.spawned', n: 2 },
  ]);
});

t.test('the message: the place, what to do, no bug report, where the run stands', async (t) => {
  const said = (standing: Parameters<typeof reportRefusedPermission>[2], command = 'run') => {
    const io = memoryIo({ cwd: '/' });
    t.equal(reportRefusedPermission('rm /h/w/1: operation not permitted', command, standing, io, {}), 77);
    const err = io.err.join('');
    t.notMatch(err, /internal error|please report/);
    return err;
  };
  const head = /^engine (run|resume|clean): error E_PERMISSION the system refused the engine a file or folder it needs: rm \/h\/w\/1: operation not permitted\n\(its owner, mode or attributes keep the engine out: .*Give it back to the user the engine runs as first\)\n/;
  t.match(said({ runId: 'r-1', runDir: '/r/.engine/runs/r-1', began: true }), head);
  t.match(said({ runId: 'r-1', runDir: '/r/.engine/runs/r-1', began: true }), /first\)\nthe run is left as a crash leaves it, continue it with: engine resume r-1 --store \/r\/\.engine\/runs\n$/, 'a run that began: its resume, with its store');
  t.match(said({ runId: 'latest', runDir: null, began: true }), /first\)\nthe run latest was not found yet, nothing of it was changed: the same `engine resume` goes on from there\n$/, 'resume before it found its run: no resume of it promised');
  t.match(said({ runId: 'r 2', runDir: '/s t/r 2', began: false }), /first\)\nthe run 'r 2' had not begun: nothing of it can be resumed; what was made of it is removed by `engine resume 'r 2' --store '\/s t'` or a new `engine run --run-id 'r 2'` in the same store\n$/, 'a run made but not begun: no resume promised');
  t.match(said({ runId: null, runDir: null, began: false }), /first\)\nthe run had not begun: nothing of it was made\n$/, 'no run made: none named');
  t.match(said(null, 'clean'), /first\)\n$/, 'no run for a command that drives none');
});

const asRoot = process.getuid?.() === 0;

/** Makes `dir` refuse new entries to this process (root: the immutable attribute; else a mode), or says why it cannot here. */
function block(dir: string): string | null {
  if (asRoot) {
    const r = spawnSync('chattr', ['+i', dir], { encoding: 'utf8' });
    if (r.status !== 0) return `chattr +i cannot be set here (${(r.stderr || r.error?.message || '').trim()})`;
  } else chmodSync(dir, 0o555);
  const probe = path.join(dir, `.probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
    rmSync(probe);
    unblock(dir);
    return 'the folder took a file all the same';
  } catch {
    return null;
  }
}

function unblock(dir: string): void {
  if (asRoot) spawnSync('chattr', ['-i', dir]);
  else chmodSync(dir, 0o755);
}

/** The engine's folder of this repo's workspaces, under the test's ENGINE_HOME. */
function workspacesOf(home: string): string {
  const dir = path.join(home, 'workspaces');
  return path.join(dir, readdirSync(dir).find((n) => n.startsWith('repo-'))!);
}

/** `made`: whether the run's directory was made before the refusal (then the message names the run, and the command that clears it). */
const places: Array<{ name: string; at: (f: ReturnType<typeof makeFixture>, home: string) => string; says: RegExp; made: boolean }> = [
  { name: "the user's refs/heads/engine (a `sudo git` left it root-owned)", at: (f) => path.join(f.repo, '.git', 'refs', 'heads', 'engine'), says: /git could not write \S+\/\.git\/refs\/heads\/engine\/\S+\.lock: (operation not permitted|permission denied)/, made: true },
  { name: 'the run store', at: (f) => path.join(f.repo, '.engine', 'runs'), says: /mkdir \S+\/\.engine\/runs\/\S+: (operation not permitted|permission denied)/, made: false },
  { name: "the engine's folder of the repo's workspaces", at: (_f, home) => workspacesOf(home), says: /\S+\/workspaces\/repo-\S+: (operation not permitted|permission denied)/, made: true },
];

for (const p of places) {
  t.test(`${p.name} refuses the engine: E_PERMISSION, exit 77, the place named; given back, a run completes`, async (t) => {
    const f = makeFixture();
    const home = mkdtempSync(path.join(os.tmpdir(), 'engine-refused-home-'));
    t.teardown(() => rmSync(home, { recursive: true, force: true }));
    const run = () => engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress'], { cwd: f.dir, env: { ENGINE_HOME: home } });
    t.equal(run().code, 0, 'a first run makes the places');
    const dir = p.at(f, home);
    const cannot = block(dir);
    if (cannot) {
      t.comment(`skipped: ${cannot}`);
      return;
    }
    t.teardown(() => unblock(dir));
    const r = run();
    t.equal(r.code, 77, r.stderr);
    t.match(r.stderr, /^engine run: error E_PERMISSION the system refused the engine a file or folder it needs: /);
    t.match(r.stderr, p.says);
    t.notMatch(r.stderr, /internal error|please report|the log is/);
    t.notMatch(r.stderr, /left as a crash leaves it|continue it with/, 'no resume is promised for a run that had not begun');
    unblock(dir);
    if (p.made) {
      // The run it named, and the command it gave to clear what was made of it.
      const [, id = '-', store = '-'] = /\nthe run (\S+) had not begun: nothing of it can be resumed; what was made of it is removed by `engine resume \1 --store (\S+)`/.exec(r.stderr) ?? [];
      t.equal(store, path.join(realpathSync(f.repo), '.engine', 'runs'), `the run named is the one made, with its store: ${r.stderr}`);
      t.ok(existsSync(path.join(store, id)));
      // The command as said, from another folder.
      const cleared = engine(['resume', id, '--store', store, '--no-progress'], { cwd: os.tmpdir(), env: { ENGINE_HOME: home } });
      t.match(cleared.stderr, /before its first step, so there is nothing to resume; removed what it had made/);
      t.notOk(existsSync(path.join(store, id)), 'the command named clears it');
    } else t.match(r.stderr, /\nthe run had not begun: nothing of it was made\n$/);
    t.equal(run().code, 0, 'given back, the next run completes');
  });
}

/** A scratch repo with one commit in a new temp dir `side`, for a run of writePreludeRun. */
function sideRepo(t: { teardown(fn: () => void): void }, prefix: string): { side: string; repo: string } {
  const side = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => rmSync(side, { recursive: true, force: true }));
  const repo = path.join(side, 'repo');
  mkdirSync(repo);
  const git = (...args: string[]) => spawnSync('git', args, { cwd: repo, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'initial');
  return { side, repo };
}

// A worker without the OS sandbox takes the run's own directory from the engine mid-run: the
// run stops E_PERMISSION as a crash leaves it, and resumes to completion once it is given back.
t.test('the run directory taken mid-run: exit 77, left resumable, resumed to completion', async (t) => {
  const { side, repo } = sideRepo(t, 'engine-refused-side-');
  const runDir = path.join(repo, '.engine', 'runs', 'taken');
  // Its first call (the plan) takes the run directory, once.
  const how = asRoot ? `chattr +i "${runDir}"` : `chmod 555 "${runDir}"`;
  const { pipelineFile, policyFile } = writePreludeRun(side, `if [ ! -e "${side}/taken" ]; then : > "${side}/taken"; ${how} || : > "${side}/cannot"; fi`, { sandbox: { mode: 'off' } });
  const env = { ENGINE_HOME: path.join(side, 'home') };
  t.teardown(() => unblock(runDir));

  const r = engine(['run', pipelineFile, '--repo', repo, '--goal', 'g', '--policy', policyFile, '--run-id', 'taken', '--no-progress'], { cwd: side, env });
  if (existsSync(path.join(side, 'cannot'))) {
    t.comment('skipped: the worker could not take the directory here');
    return;
  }
  t.equal(r.code, 77, r.stderr);
  t.match(r.stderr, new RegExp(`E_PERMISSION the system refused the engine a file or folder it needs: \\w+ ${runDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\S+: (operation not permitted|permission denied)`));
  t.notMatch(r.stderr, /internal error|please report/);
  t.match(r.stderr, `\nthe run is left as a crash leaves it, continue it with: engine resume taken --store ${path.dirname(realpathSync(runDir))}\n`, 'the resume named, with its store');
  t.equal(JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8')).status, 'running', 'left as a crash leaves it: resumable');

  unblock(runDir);
  // The command as said, from another folder.
  const resumed = engine(['resume', 'taken', '--store', path.dirname(realpathSync(runDir)), '--no-progress'], { cwd: os.tmpdir(), env });
  t.equal(resumed.code, 0, resumed.stderr);
  t.equal(JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8')).status, 'completed');
  t.ok(existsSync(path.join(runDir, 'summary.md')), 'the summary is written');
});


// A file the engine holds open made immutable: the next write to it names no file (a write on
// a descriptor), and ended the run as an internal error. As root only: a mode does not stop a
// write through a descriptor already open.
t.test('the timeline made immutable while the engine holds it open: E_PERMISSION naming it, resumed once given back', { skip: asRoot ? false : 'chattr needs root' }, async (t) => {
  const { side, repo } = sideRepo(t, 'engine-refused-open-');
  const timeline = path.join(repo, '.engine', 'runs', 'held', 'timeline.jsonl');
  const { pipelineFile, policyFile } = writePreludeRun(side, `if [ ! -e "${side}/taken" ]; then : > "${side}/taken"; chattr +i "${timeline}" || : > "${side}/cannot"; fi`, { sandbox: { mode: 'off' } });
  const env = { ENGINE_HOME: path.join(side, 'home') };
  t.teardown(() => spawnSync('chattr', ['-i', timeline]));
  const r = engine(['run', pipelineFile, '--repo', repo, '--goal', 'g', '--policy', policyFile, '--run-id', 'held', '--no-progress'], { cwd: side, env });
  if (existsSync(path.join(side, 'cannot'))) {
    t.comment('skipped: chattr +i cannot be set here');
    return;
  }
  t.equal(r.code, 77, r.stderr);
  t.match(r.stderr, `E_PERMISSION the system refused the engine a file or folder it needs: write ${timeline}: operation not permitted`);
  spawnSync('chattr', ['-i', timeline]);
  const resumed = engine(['resume', 'held', '--repo', repo, '--no-progress'], { cwd: side, env });
  t.equal(resumed.code, 0, resumed.stderr);
});

// A failure while a worker runs (here an injected one, as a refused state.json was): the
// engine said its error and then waited for ever, the worker's pipes keeping it alive and the
// worker running on past its time limits. What the command started is ended first.
t.test('a failure while a worker runs: the worker is ended, the engine exits at once', async (t) => {
  const { side, repo } = sideRepo(t, 'engine-failed-call-');
  // The worker's own sleep, told apart from any other process by its length.
  const sleep = `299.${process.pid}${Date.now() % 1000}`;
  const { pipelineFile, policyFile } = writePreludeRun(side, `echo $$ > "${side}/worker.pid"; sleep ${sleep}`, { sandbox: { mode: 'off' } });
  const started = Date.now();
  const r = engine(['run', pipelineFile, '--repo', repo, '--goal', 'g', '--policy', policyFile, '--run-id', 'failed', '--no-progress'], { cwd: side, env: { ENGINE_HOME: path.join(side, 'home'), ENGINE_FAULT: 'throw@worker.spawned#1' } });
  t.equal(r.code, 70, r.stderr);
  t.match(r.stderr, /internal error \(a bug in the engine, please report it\): injected fault throw@worker\.spawned#1/);
  t.ok(Date.now() - started < 60_000, `ended in ${Date.now() - started} ms, not after the worker's 300 s`);
  // The engine may end the worker before its shell has written its pid (CI saw it once).
  if (existsSync(path.join(side, 'worker.pid'))) t.notOk(groupAlive(Number(readFileSync(path.join(side, 'worker.pid'), 'utf8'))), "no process of the worker's group is left");
  t.equal(spawnSync('pgrep', ['-f', `sleep ${sleep}`]).status, 1, "the worker's sleep is not running");
});

// rm's words of a refused removal (a folder too deep for the engine's own walk) are said as
// the system's error, naming the folder: an internal error before.
t.test('a refused removal of a deep tree: said as the system refused it', { skip: asRoot ? false : 'chattr needs root' }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-deep-refused-'));
  const deep = path.join(dir, ...Array.from({ length: 80 }, () => 'd'));
  mkdirSync(deep, { recursive: true });
  writeFileSync(path.join(deep, 'kept.txt'), '');
  const set = spawnSync('chattr', ['+i', path.join(deep, 'kept.txt')]);
  t.teardown(() => {
    spawnSync('chattr', ['-i', path.join(deep, 'kept.txt')]);
    spawnSync('/bin/rm', ['-rf', dir]);
  });
  if (set.status !== 0) {
    t.comment('skipped: chattr +i cannot be set here');
    return;
  }
  let thrown: unknown = null;
  try {
    removeTree(dir);
  } catch (error) {
    thrown = error;
  }
  t.match(permissionRefusalOf(thrown), /^rm \S+: operation not permitted$/);
});

// A completed run whose workspace the system would not let go: complete (exit 0) with a
// warning, not a stop with advice to resume what is finished.
t.test("a completed run whose workspace cannot be removed: exit 0, a warning, clean removes it later", { skip: asRoot ? false : 'chattr needs root' }, async (t) => {
  const { side, repo } = sideRepo(t, 'engine-left-ws-');
  const { pipelineFile, policyFile } = writePreludeRun(side, `chattr +i "$(dirname "$PWD")" 2>/dev/null || : > "${side}/cannot"`, { sandbox: { mode: 'off' } });
  const env = { ENGINE_HOME: path.join(side, 'home') };
  const r = engine(['run', pipelineFile, '--repo', repo, '--goal', 'g', '--policy', policyFile, '--run-id', 'left', '--no-progress'], { cwd: side, env });
  const folder = workspacesOf(path.join(side, 'home'));
  t.teardown(() => spawnSync('chattr', ['-i', folder]));
  if (existsSync(path.join(side, 'cannot'))) {
    t.comment('skipped: chattr +i cannot be set here');
    return;
  }
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /engine: warning: the run's workspace was left behind, the system refused its removal: \S+\/left: operation not permitted.*`engine clean` removes it once it can/);
  t.equal(JSON.parse(readFileSync(path.join(repo, '.engine', 'runs', 'left', 'state.json'), 'utf8')).status, 'completed');
  spawnSync('chattr', ['-i', folder]);
  const cleaned = engine(['clean', '--repo', repo], { cwd: side, env });
  t.equal(cleaned.code, 0, cleaned.stderr);
  t.notOk(existsSync(path.join(folder, 'left')), 'clean removed the workspace left behind');
});

// The user's own folder of engine branches refused after the run began (a `sudo git` between
// a stop and its resume): resume says E_PERMISSION before it drives a step, as a new run says
// it, instead of driving to the checkpoint and stopping there as a governance violation of the
// user's repository (which is for what a worker does during the run).
t.test("the user's refs/heads/engine refused between a stop and its resume: E_PERMISSION before any step, resumed once given back", async (t) => {
  const f = makeFixture();
  const home = mkdtempSync(path.join(os.tmpdir(), 'engine-refused-home-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const env = { ENGINE_HOME: home };
  const args = ['--repo', f.repo, '--no-progress'];
  const killed = engine(['run', f.pipelineFile, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'between', ...args], { cwd: f.dir, env: { ...env, ENGINE_FAULT: 'kill@step.finished#2' } });
  t.equal(killed.signal, 'SIGKILL', 'the first run was stopped mid-way');
  const refs = path.join(f.repo, '.git', 'refs', 'heads', 'engine');
  const cannot = block(refs);
  if (cannot) {
    t.comment(`skipped: ${cannot}`);
    return;
  }
  t.teardown(() => unblock(refs));
  const runDir = path.join(f.repo, '.engine', 'runs', 'between');
  const before = readJsonl(path.join(runDir, 'timeline.jsonl')).length;
  const r = engine(['resume', 'between', ...args], { cwd: f.dir, env });
  t.equal(r.code, 77, r.stderr);
  t.match(r.stderr, `engine resume: error E_PERMISSION the system refused the engine a file or folder it needs: access ${refs}: `);
  t.match(r.stderr, `\nthe run is left as a crash leaves it, continue it with: engine resume between --store ${path.dirname(realpathSync(runDir))}\n`);
  t.notMatch(r.stderr, /governance|user_repo|internal error/);
  const state = JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8'));
  t.equal(state.status, 'running', 'still resumable');
  t.equal(readJsonl(path.join(runDir, 'timeline.jsonl')).length, before, 'nothing was driven or recorded');
  unblock(refs);
  const resumed = engine(['resume', 'between', ...args], { cwd: f.dir, env });
  t.equal(resumed.code, 0, resumed.stderr);
});

// A run killed while it was being made, whose removal resume is then refused: resume found it
// half-made, so the line must not promise a continuation, and must name the store it was given.
t.test('resume refused the removal of a half-made run: E_PERMISSION, the run named as not begun, with its store', { skip: asRoot ? false : 'chattr needs root' }, async (t) => {
  const f = makeFixture();
  const home = mkdtempSync(path.join(os.tmpdir(), 'engine-refused-home-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const killed = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'half', '--no-progress'], { cwd: f.dir, env: { ENGINE_HOME: home, ENGINE_FAULT: 'kill@run.workspace#1' } });
  t.equal(killed.signal, 'SIGKILL', killed.stderr);
  const store = path.join(realpathSync(f.repo), '.engine', 'runs');
  t.notOk(existsSync(path.join(store, 'half', 'state.json')), 'half-made: no state.json');
  const cannot = block(path.join(store, 'half'));
  if (cannot) {
    t.comment(`skipped: ${cannot}`);
    return;
  }
  t.teardown(() => unblock(path.join(store, 'half')));
  const r = engine(['resume', 'half', '--store', store, '--no-progress'], { cwd: os.tmpdir(), env: { ENGINE_HOME: home } });
  t.equal(r.code, 77, r.stderr);
  t.match(r.stderr, `\nthe run half had not begun: nothing of it can be resumed; what was made of it is removed by \`engine resume half --store ${store}\` or a new \`engine run --run-id half\` in the same store\n`);
  t.notMatch(r.stderr, /continue it with/);
  unblock(path.join(store, 'half'));
  const cleared = engine(['resume', 'half', '--store', store, '--no-progress'], { cwd: os.tmpdir(), env: { ENGINE_HOME: home } });
  t.match(cleared.stderr, /before its first step, so there is nothing to resume; removed what it had made/);
  t.notOk(existsSync(path.join(store, 'half')), 'the command named clears it');
});

// The place a refusal names can be a name a worker chose (a file of the workspace the engine
// could not remove): its message reaches the user's terminal, which must obey nothing in it.
t.test('a refusal, a machine failure or a bug naming a file a worker named: no control character reaches the terminal', async (t) => {
  const evil = '/ws/\x1b]0;PWNED\x07\x1b[2J\u202eevil';
  const io = memoryIo({ cwd: '/' });
  reportRefusedPermission(`rm ${evil}: operation not permitted`, 'run', { runId: 'r1', runDir: '/r/.engine/runs/r1', began: true }, io, {});
  reportMachineFailure(Object.assign(new Error(`ENOSPC: no space left on device, open '${evil}'`), { code: 'ENOSPC' }), 'no space left on the device', 'run', null, io, {});
  reportBug(new Error(`could not read ${evil}`), io, ['run'], {});
  const err = io.err.join('');
  t.notMatch(err, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/, 'nothing for the terminal to obey');
  t.match(err, /rm \/ws\/\ufffd\]0;PWNED\ufffd\ufffd\[2J\ufffdevil: operation not permitted/, 'shown as text');
  t.match(err, /could not read \/ws\/\ufffd\]0;PWNED/);
});
