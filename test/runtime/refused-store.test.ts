import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bareNode, childEnv, engine, engineBin } from '../helpers/run-fixture.js';
import { makeFixture as makeInstantFixture } from '../../bench/fixtures/instant-run.mjs';

// A run store the file system will not have: a file or a FIFO in its place made `report` and
// `resume latest` exit 70 (ENOTDIR from scandir); a read-only one made `engine run` exit 70
// (Node's recursive mkdir said ENOENT); one under /proc kept `engine run` at 60% CPU for ever
// in that mkdir, deaf to SIGTERM. Each is said for what it is, and at once.

/** The engine, killed if it takes more than 60 s (a spin would otherwise hold the suite). */
function engineQuick(args: string[], cwd: string) {
  const r = spawnSync('/usr/bin/env', [...bareNode, engineBin, ...args], { cwd, env: childEnv(), encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  return { code: r.status, signal: r.signal, stderr: r.stderr, stdout: r.stdout };
}

/** engineQuick with more of the environment (ENGINE_HOME). */
function engineWith(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const r = spawnSync('/usr/bin/env', [...bareNode, engineBin, ...args], { cwd, env: childEnv(env), encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  return { code: r.status, signal: r.signal, stderr: r.stderr, stdout: r.stdout };
}

const runArgs = (f: { pipelineFile: string; repo: string; policyFile: string }, ...more: string[]) => ['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress', ...more];

t.test('report and resume latest refuse a store that is a file or a FIFO as E_FILE', async (t) => {
  const f = makeInstantFixture(1, 'off');
  const file = path.join(f.dir, 'store-file');
  writeFileSync(file, 'mine\n');
  const all = engine(['report', '--all', '--store', file], { cwd: f.repo });
  t.equal(all.code, 2, all.stderr);
  t.match(all.stderr, /error E_FILE cannot read the run store .*store-file: it is a file, not a directory/);
  const runs = path.join(f.repo, '.engine', 'runs');
  mkdirSync(path.dirname(runs), { recursive: true });
  for (const [kind, make] of [['a file', () => writeFileSync(runs, 'x\n')], ['a FIFO', () => spawnSync('mkfifo', [runs])]] as const) {
    rmSync(runs, { force: true });
    make();
    for (const args of [['report', 'latest'], ['report', 'latest', '--json'], ['resume', 'latest'], ['resume', 'latest', '--json']]) {
      const r = engineQuick(args, f.repo);
      t.equal(r.code, 2, `${kind}, ${args.join(' ')}: ${r.stderr}`);
      // report --json says it in its one document on stdout; resume --json on stderr and in run.rejected.
      const said = args[0] === 'report' && args.includes('--json') ? r.stdout : r.stderr;
      t.match(said, new RegExp(`E_FILE[\\s\\S]*cannot read the run store .*runs: it is ${kind}, not a directory`), `${kind}, ${args.join(' ')}`);
      if (args.includes('--json')) t.match(r.stdout, /"code": ?"E_FILE"/, 'the JSON says it');
    }
  }
});

// `engine clean` of such a store exited 0 and took the workspace of a resumable run for an
// orphan's (no record of it could be read), `engine resume <id>` called the run not found, and
// `engine suite --store` said E_USAGE, a directory it could not make.
t.test('clean (one repo, --all), resume of a run id and suite refuse a store that is a file or a FIFO as E_FILE; no workspace goes', async (t) => {
  const f = makeInstantFixture(1, 'off');
  const home = path.join(f.dir, 'home');
  const env = { ENGINE_HOME: home };
  const stopped = engineWith(runArgs(f, '--run-id', 'kept', '--max-ticks', '1'), f.dir, env);
  t.equal(stopped.code, 1, stopped.stderr);
  const runs = path.join(f.repo, '.engine', 'runs');
  const workspace = JSON.parse(readFileSync(path.join(runs, 'kept', 'state.json'), 'utf8')).workspace;
  t.ok(existsSync(workspace), 'the stopped run keeps its workspace');
  renameSync(runs, path.join(f.dir, 'runs-aside'));
  for (const [kind, make] of [['a file', () => writeFileSync(runs, 'x\n')], ['a FIFO', () => spawnSync('mkfifo', [runs])]] as const) {
    rmSync(runs, { force: true });
    make();
    for (const args of [['clean', '--repo', f.repo], ['clean', '--repo', f.repo, '--resumable'], ['clean', '--repo', f.repo, '--resumable', '--json'], ['clean', '--all', '--resumable'], ['clean', '--repo', f.repo, '--store', runs, '--dry-run'], ['resume', 'kept', '--repo', f.repo], ['suite', path.join(path.dirname(engineBin), '..', 'tasks', 'golden', 'add-function.task.yaml'), '--store', runs]]) {
      const r = engineWith(args, f.dir, env);
      t.equal(r.code, 2, `${kind}, ${args.join(' ')}: ${r.stderr}`);
      const said = args.includes('--json') ? r.stdout : r.stderr;
      t.match(said, new RegExp(`E_FILE[\\s\\S]*cannot read the run store .*runs: it is ${kind}, not a directory`), `${kind}, ${args.join(' ')}`);
      if (args.includes('--json')) t.match(r.stdout, /"code": ?"E_FILE"/, 'the JSON says it');
      t.ok(existsSync(workspace), `${kind}, ${args.join(' ')}: the workspace of the resumable run is still there`);
    }
  }
});

t.test('a store or workspaces root under /proc is E_FILE at once, and nothing is left', { skip: process.platform !== 'linux' && 'no /proc' }, async (t) => {
  const f = makeInstantFixture(1, 'off');
  const store = engineQuick(runArgs(f, '--store', '/proc/self'), f.dir);
  t.equal(store.signal, null, 'not killed: it ended by itself');
  t.equal(store.code, 2, store.stderr);
  t.match(store.stderr, /error E_FILE cannot make the run's directory in the run store \/proc\/self: no such file/);
  const ws = engineQuick(runArgs(f, '--workspaces', '/proc/self'), f.dir);
  t.equal(ws.signal, null, 'not killed: it ended by itself');
  t.equal(ws.code, 2, ws.stderr);
  t.match(ws.stderr, /error E_FILE cannot make the run's workspace in the workspaces' root \/proc\/self: no such file/);
  const runs = path.join(f.repo, '.engine', 'runs');
  t.same(existsSync(runs) ? readdirSync(runs).filter((n) => !n.startsWith('.')) : [], [], 'the half-made run was removed');
  t.equal(spawnSync('git', ['branch', '--list', 'engine/*'], { cwd: f.repo, encoding: 'utf8' }).stdout, '', 'and its branch');
});

const asRoot = process.getuid?.() === 0;

t.test('a read-only store is E_MACHINE (EROFS), as docs/errors.md says', { skip: !asRoot && 'mounting a read-only tmpfs takes root' }, async (t) => {
  const f = makeInstantFixture(1, 'off');
  const mnt = path.join(f.dir, 'ro');
  mkdirSync(mnt);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', mnt]);
  if (mounted.status !== 0) {
    t.comment(`mount refused: ${mounted.stderr}`);
    return;
  }
  try {
    const r = engineQuick(runArgs(f, '--store', mnt), f.dir);
    t.equal(r.code, 71, r.stderr);
    t.match(r.stderr, /error E_MACHINE a file system the engine writes is read-only: EROFS/);
    t.match(r.stderr, /nothing of it was made/);
  } finally {
    spawnSync('umount', [mnt]);
  }
});

t.test('a store the engine may not write is E_PERMISSION', { skip: asRoot && 'root writes a directory of mode 0555' }, async (t) => {
  const f = makeInstantFixture(1, 'off');
  const store = path.join(f.dir, 'closed');
  mkdirSync(store, { mode: 0o555 });
  const r = engineQuick(runArgs(f, '--store', store), f.dir);
  t.equal(r.code, 77, r.stderr);
  t.match(r.stderr, /error E_PERMISSION .*mkdir .*closed\/.*: permission denied/);
});
