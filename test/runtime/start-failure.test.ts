import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { engine, makeFixture } from '../helpers/run-fixture.js';

// A run's start that fails before its state.json (an engine fault, a git that cannot read its
// configuration) is said as exit 70, and leaves nothing in the way of the next run: no branch
// `engine/<id>` in the user's repository (a new `run --run-id` with that id was refused), no
// workspace, and what the message says is left is removed as it says.

const runArgs = (f: ReturnType<typeof makeFixture>, id: string) => ['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress'];

function workspacesOf(home: string): string[] {
  const root = path.join(home, 'workspaces');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((repo) => readdirSync(path.join(root, repo)).filter((n) => n !== '.repo').map((n) => path.join(repo, n)));
}

t.test('a fault after the workspace was made: no branch, no workspace, and the same id runs', async (t) => {
  const f = makeFixture();
  const home = path.join(f.dir, 'home');
  const failed = engine(runArgs(f, 'r1'), { cwd: f.dir, env: { ENGINE_HOME: home, ENGINE_FAULT: 'throw@run.workspace#1' } });
  t.equal(failed.code, 70, failed.stderr);
  t.match(failed.stderr, /injected fault throw@run\.workspace#1/);
  t.equal(f.git('branch', '--list', 'engine/*'), '', 'no run branch is left in the repository');
  t.same(workspacesOf(home), [], 'no workspace is left');
  t.match(failed.stderr, /the run r1 had not begun/);
  const again = engine(runArgs(f, 'r1'), { cwd: f.dir, env: { ENGINE_HOME: home } });
  t.equal(again.code, 0, `a new run with the same id completes, as the message says\n${again.stderr}`);
  t.equal(f.git('branch', '--list', 'engine/*'), 'engine/r1');
});

t.test('git cannot read its configuration: exit 70 before anything is made', async (t) => {
  const f = makeFixture();
  const home = path.join(f.dir, 'home');
  const broken = path.join(f.dir, 'broken.gitconfig');
  writeFileSync(broken, '[user\n  name = broken\n');
  const failed = engine(runArgs(f, 'r1'), { cwd: f.dir, env: { ENGINE_HOME: home, GIT_CONFIG_GLOBAL: broken } });
  t.equal(failed.code, 70, failed.stderr);
  t.match(failed.stderr, /the run had not begun: nothing of it was made/);
  t.notOk(existsSync(path.join(f.repo, '.engine', 'runs', 'r1')), 'no run directory');
  t.equal(f.git('branch', '--list', 'engine/*'), '', 'no run branch');
  t.same(workspacesOf(home), [], 'no workspace');
  // A policy that names the author needs no configuration: the same repo and git run.
  writeFileSync(f.policyFile, `${readFileSync(f.policyFile, 'utf8')}git:\n  author: A Author <a@example.com>\n`);
  const named = engine(runArgs(f, 'r2'), { cwd: f.dir, env: { ENGINE_HOME: home, GIT_CONFIG_GLOBAL: broken } });
  t.equal(named.code, 0, named.stderr);
});

t.test('a SHA-256 repository is refused before anything is made, as input, not as a bug', async (t) => {
  // It was exit 70 ("a bug in the engine") after the run's directory was made.
  const f = makeFixture();
  const repo = path.join(f.dir, 'sha256');
  execFileSync('git', ['init', '-q', '--object-format=sha256', repo]);
  execFileSync('git', ['-c', 'user.name=U', '-c', 'user.email=u@example.com', 'commit', '-q', '--allow-empty', '-m', 'first'], { cwd: repo });
  const r = engine(['run', f.pipelineFile, '--repo', repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress'], { cwd: f.dir, env: { ENGINE_HOME: path.join(f.dir, 'home') } });
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /error E_USAGE .*sha256 is a SHA-256 repository \(extensions\.objectFormat = sha256\): the engine's workspaces support SHA-1 repositories only for now/);
  t.notOk(existsSync(path.join(repo, '.engine')), 'no run store was made');
});

t.test('a workspace of the same run id from another store: refused as input, the other run\'s workspace kept', async (t) => {
  const f = makeFixture();
  const home = path.join(f.dir, 'home');
  const storeA = path.join(f.dir, 'store-a');
  const killed = engine([...runArgs(f, 'r1'), '--store', storeA], { cwd: f.dir, env: { ENGINE_HOME: home, ENGINE_FAULT: 'kill@run.workspace#1' } });
  t.equal(killed.signal, 'SIGKILL', killed.stderr);
  const left = workspacesOf(home);
  t.ok(left.length, 'the killed run left its workspace');
  const other = engine([...runArgs(f, 'r1'), '--store', path.join(f.dir, 'store-b')], { cwd: f.dir, env: { ENGINE_HOME: home } });
  t.equal(other.code, 2, other.stderr);
  t.match(other.stderr, /--run-id: error E_USAGE a workspace for run r1 already exists at \S+ \(a run of this id from another store, or left by one: `[^`]*clean` removes one no run owns\): give another --run-id/);
  t.notMatch(other.stderr, /internal error/);
  t.same(workspacesOf(home), left, 'the first run\'s workspace is where it was');
  t.notOk(existsSync(path.join(f.dir, 'store-b', 'r1')), 'no half-made run is left in the second store');
});
