import t from 'tap';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { makeIsoFixture, modes, readState, runEngine, runRun, safeGit, type IsoFixture, type Mode } from './helpers/fixture.js';
import { assertOutcome, COMPLETED, VIOLATION } from './helpers/scenario.js';
import { assertRepoUnchanged, snapshotRepo } from './helpers/snapshot.js';
import { childEnv } from '../helpers/run-fixture.js';

// Contract §5 from the user's side: runs leave their repo as it was (status, worktrees, what
// their own test runner finds), and `engine clean` reclaims the workspaces of finished runs.

/** The user's own test runner, durations masked. */
function nodeTest(repo: string): string {
  const r = spawnSync(process.execPath, ['--test'], { cwd: repo, env: childEnv(), encoding: 'utf8' });
  return `exit ${r.status}\n${r.stdout}`.replace(/duration_ms:? [\d.]+/g, 'duration_ms X');
}

/** The run's workspace: state.json's `workspace`, else any `<ENGINE_HOME>/workspaces/*\/<id>`. */
function workspaceOf(f: IsoFixture, id: string): string | null {
  const state = readState(f, id);
  if (typeof state?.workspace === 'string') return state.workspace;
  const root = path.join(f.engineHome, 'workspaces');
  if (!existsSync(root)) return null;
  for (const repoDir of readdirSync(root)) if (existsSync(path.join(root, repoDir, id))) return path.join(root, repoDir, id);
  return null;
}

const testFiles = {
  'package.json': '{ "name": "target", "private": true, "type": "module", "scripts": { "test": "node --test" } }\n',
  'test/unit.test.mjs': "import test from 'node:test';\nimport assert from 'node:assert';\ntest('one', () => assert.equal(1, 1));\n",
};

t.test("engine run leaves the user's git status, git worktree list and test runner output exactly as before", async (t) => {
  const f = makeIsoFixture({ spec: {}, files: testFiles });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const before = snapshotRepo(f.repo);
  const tests = nodeTest(f.repo);
  t.match(tests, /# tests 1\n/, 'the user has one test');
  const runModes: Mode[] = modes().map((m) => (m.skip ? 'off' : m.mode));
  for (const [i, mode] of (['off', runModes[1], 'off'] as Mode[]).entries()) {
    const id = `view${i + 1}-${mode}`;
    const r = runRun(f, id, mode);
    assertOutcome(t, f, id, r, COMPLETED, `run ${id}`);
  }
  t.equal(nodeTest(f.repo), tests, "the user's test runner finds and prints exactly what it did before the runs");
  const after = snapshotRepo(f.repo);
  t.equal(after.status, before.status, 'git status --porcelain is as before');
  t.equal(after.worktrees, before.worktrees, 'git worktree list is as before');
  assertRepoUnchanged(t, before, after);
});

t.test("engine clean reclaims a stopped run's workspace with --resumable (and a completed run removes its own)", async (t) => {
  const f = makeIsoFixture({ spec: { calls: { 'implement#1#1': { sh: 'mkdir -p docs && echo evil > docs/out.md' } } } });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const before = snapshotRepo(f.repo);

  // A run stopped for governance keeps its workspace (it is resumable).
  const stopped = runRun(f, 'clean-stopped', 'off');
  assertOutcome(t, f, 'clean-stopped', stopped, VIOLATION, 'the stopped run');
  const kept = workspaceOf(f, 'clean-stopped');
  t.ok(kept && existsSync(kept), `a resumable stop keeps its workspace (${kept})`);
  t.ok(kept && path.resolve(kept).startsWith(path.resolve(f.engineHome) + path.sep), 'the workspace lives under ENGINE_HOME, outside the repo');

  // A completed run removes its own (the agent attacks only the first implement call of the first run).
  rmSync(path.join(f.agentDir, 'implement#1#1.sh'));
  const done = runRun(f, 'clean-done', 'off');
  assertOutcome(t, f, 'clean-done', done, COMPLETED, 'the completed run');
  const own = workspaceOf(f, 'clean-done');
  t.notOk(own && existsSync(own), `a completed run removes its workspace (${own})`);
  t.ok(safeGit(f.repo, ['rev-parse', '--verify', '-q', 'refs/heads/engine/clean-done']).trim(), 'its branch holds the result');

  const dry = runEngine(f, ['clean', '--repo', f.repo, '--dry-run', '--json']);
  t.equal(dry.code, 0, `engine clean --dry-run exits 0\n${dry.stderr}`);
  t.doesNotThrow(() => JSON.parse(dry.stdout), 'engine clean --json prints one JSON document');
  t.match(dry.stdout, /clean-stopped/, 'the dry run names the stopped run');
  t.ok(kept && existsSync(kept), 'a dry run removes nothing');

  const plain = runEngine(f, ['clean', '--repo', f.repo, '--json']);
  t.equal(plain.code, 0, `engine clean exits 0\n${plain.stderr}`);
  t.match(JSON.parse(plain.stdout).runs, [{ run_id: 'clean-stopped', removed: false }], 'a plain clean keeps the resumable run');
  t.ok(kept && existsSync(kept), 'and its workspace');

  const clean = runEngine(f, ['clean', '--repo', f.repo, '--resumable', '--json']);
  t.equal(clean.code, 0, `engine clean --resumable exits 0\n${clean.stderr}`);
  t.doesNotThrow(() => JSON.parse(clean.stdout), 'engine clean --json prints one JSON document');
  t.match(clean.stdout, /clean-stopped/, 'the report names what it freed');
  t.notOk(kept && existsSync(kept), 'the stopped run’s workspace is reclaimed with --resumable');
  const root = path.join(f.engineHome, 'workspaces');
  const left = existsSync(root) ? readdirSync(root).flatMap((d) => readdirSync(path.join(root, d)).map((r) => `${d}/${r}`)) : [];
  t.same(left, [], 'no run workspace is left under ENGINE_HOME/workspaces');
  assertRepoUnchanged(t, before, snapshotRepo(f.repo));
});
