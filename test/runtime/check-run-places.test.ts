import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkRunPlaces } from '../../engine/runtime/check-run-places.js';
import { assertRunBranch } from '../../engine/git/workspace.js';

// What state.json says about where a run lives, against what the engine makes: resume refuses
// anything else (test/runtime/resume-trust.test.ts drives it through the CLI).

t.test('the places the engine makes pass; each forged one is named', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-places-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const repo = path.join(dir, 'repo');
  const runDir = path.join(repo, '.engine', 'runs', 'r1');
  const ws = path.join(dir, 'workspaces', 'repo-1234', 'r1');
  mkdirSync(runDir, { recursive: true });
  mkdirSync(ws, { recursive: true });
  const good = { run_id: 'r1', branch: 'engine/r1', repo, workspace: ws };
  t.equal(checkRunPlaces(good, runDir), null);
  const cases: [Partial<typeof good>, RegExp][] = [
    [{ run_id: 'r2' }, /names run r2, but its directory is r1/],
    [{ branch: 'main' }, /names the branch main, not the run's own engine\/r1/],
    [{ branch: 'engine/r2' }, /not the run's own engine\/r1/],
    [{ branch: 'refs/heads/engine/r1' }, /not the run's own/],
    [{ workspace: repo }, /in the user's repository/],
    [{ workspace: path.join(repo, 'r1') }, /in the user's repository/],
    [{ workspace: dir }, /around the user's repository/],
    [{ workspace: path.join(dir, 'workspaces', 'repo-1234', 'other') }, /not the run's own workspace/],
    [{ workspace: 'relative/r1' }, /no absolute path of the workspace/],
    [{ repo: 'repo' }, /no absolute path of the repository/],
  ];
  for (const [change, message] of cases) t.match(checkRunPlaces({ ...good, ...change }, runDir), message, JSON.stringify(change));
  // A link named after the run that leads into the repo is the repo.
  const link = path.join(dir, 'elsewhere', 'r1');
  mkdirSync(path.dirname(link));
  symlinkSync(path.join(repo, '.engine'), link);
  t.match(checkRunPlaces({ ...good, workspace: link }, runDir), /in the user's repository/, 'links are resolved');
});

t.test('the engine creates and moves engine/<run-id> branches only', async (t) => {
  t.doesNotThrow(() => assertRunBranch('engine/20261202-101010-000-abcdef'));
  for (const b of ['main', 'engine/', 'engine/a/b', 'refs/heads/engine/x', 'engine/-x', 'feature/engine/x']) t.throws(() => assertRunBranch(b), /refusing to work on branch/, b);
});
