import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
