import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { refusedWritable } from '../../engine/sandbox/check-writable.js';
import { engine, engineHere, makeFixture } from '../helpers/run-fixture.js';

// sandbox.writable hands a sandboxed worker more places to write. One that is, holds or lies
// inside what the sandbox keeps read-only (the user's repo, the run store, the engine's
// install, its workspaces) would undo contract §5: `/home/me` as a "package cache" holds the
// checkout, and a worker could plant what the user's tools run.

t.test('an entry that is, holds or lies in a kept place is refused; others pass', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-writable-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const repo = path.join(dir, 'home', 'project');
  mkdirSync(repo, { recursive: true });
  mkdirSync(path.join(dir, 'cache'));
  symlinkSync(repo, path.join(dir, 'link-to-repo'));
  const kept = [{ path: repo, what: 'the repository' }];
  t.same(refusedWritable([path.join(dir, 'cache'), path.join(dir, 'home-other'), `${repo}-2`], kept), [], 'beside it, and a name that only starts the same');
  t.match(refusedWritable([path.join(dir, 'home')], kept), [/^sandbox\.writable .*\/home holds the repository .*project, which the sandbox keeps read-only$/]);
  t.match(refusedWritable([repo], kept), [/is inside the repository/]);
  t.match(refusedWritable([path.join(repo, 'node_modules')], kept), [/is inside the repository/], 'a path in it that does not exist yet');
  t.match(refusedWritable([path.join(dir, 'link-to-repo', 'src')], kept), [/is inside the repository/], 'a link to it is resolved');
});

t.test('engine run refuses such a policy before anything is made (exit 2, E_SANDBOX_WRITABLE)', async (t) => {
  const f = makeFixture();
  const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress', '--set', `sandbox.writable=${JSON.stringify([f.dir])}`], { cwd: f.dir });
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /error E_SANDBOX_WRITABLE sandbox\.writable .* holds the repository/);
  t.match(r.stderr, /holds the run store/);
  const refusals = r.stderr.split('\n').filter((l) => l.includes('E_SANDBOX_WRITABLE'));
  t.same(refusals, [...new Set(refusals)], "each refusal once (the git dir is also the common dir: it was said twice)");
});

t.test('engine resume refuses it too, given with --set (E_RESUME, exit 2)', async (t) => {
  const f = makeFixture();
  const run = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'w', '--no-progress', '--max-ticks', '2'], { cwd: f.dir });
  t.equal(run.code, 1, run.stderr);
  const r = engine(['resume', 'w', '--repo', f.repo, '--no-progress', '--set', `sandbox.writable=${JSON.stringify([path.dirname(f.repo)])}`], { cwd: f.dir });
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /E_RESUME .*sandbox\.writable .* holds the repository/);
});

// A CLI's own state dir (codex's CODEX_HOME, or ~/.codex and ~/.claude when the home is the
// checkout) is granted writable to its worker like a sandbox.writable entry. One inside the
// checkout was kept read-only at every spawn, and the CLI failed on its first write (EROFS)
// with nothing saying why; it is refused up front, as such an entry is.
t.test('engine run refuses a worker whose CLI keeps its state inside the repository (exit 2, E_SANDBOX_WRITABLE)', async (t) => {
  const f = makeFixture({ pipeline: (p) => (p.workers.implementer = { use: 'codex' }) });
  const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress'], { cwd: f.dir, env: { CODEX_HOME: path.join(f.repo, '.codex') } });
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /error E_SANDBOX_WRITABLE worker "implementer" \(use: codex\) keeps its state in .*\.codex, which is inside the repository/);
  t.match(r.stderr, /isolate_home/, 'the hint names the way out');
  t.notOk(existsSync(path.join(f.repo, '.engine', 'runs')) && readdirSync(path.join(f.repo, '.engine', 'runs')).length > 0, 'no run was made');
  const isolated = makeFixture({ pipeline: (p) => (p.workers.implementer = { use: 'codex', isolate_home: true }) });
  const stateDirs = (await import('../../engine/workers/codex-worker.js')).codexWorker.stateDirs!;
  t.same(stateDirs({ use: 'codex', isolate_home: true }, { CODEX_HOME: path.join(isolated.repo, '.codex') }), [], 'a private home keeps no state of the user');
  t.same(stateDirs({ use: 'codex' }, { HOME: '/home/u' }), ['/home/u/.codex']);
});

// A relative CODEX_HOME (or CLAUDE_CONFIG_DIR) was refused with advice to mend the built-in
// plugin (its userConfig gave a relative root); codex reads it against its own folder, the
// run's workspace, while the engine would watch and grant it by its own folder (the user's
// ~/.codex when it ran from home). The refusal names the variable and the way out.
t.test('engine run refuses a CLI state dir given as a relative path, naming the variable (exit 2)', async (t) => {
  for (const [use, name] of [['codex', 'CODEX_HOME'], ['claude', 'CLAUDE_CONFIG_DIR']] as const) {
    const f = makeFixture({ pipeline: (p) => (p.workers.implementer = { use, env: { [name]: '.state' } }) });
    const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress'], { cwd: f.dir });
    t.equal(r.code, 2, r.stderr);
    t.match(r.stderr, new RegExp(`worker "implementer" \\(use: ${use}\\).*${name} is a relative path \\(\\.state\\).*name an absolute path`));
    t.notOk(existsSync(path.join(f.repo, '.engine', 'runs')) && readdirSync(path.join(f.repo, '.engine', 'runs')).length > 0, 'no run was made');
  }
});
