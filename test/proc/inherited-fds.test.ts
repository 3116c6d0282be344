import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bareNode, childEnv, engineBin, makeFixture } from '../helpers/run-fixture.js';

// A descriptor the engine's own parent left open without close-on-exec (a shell's
// `exec 200>lock; flock 200`, an editor's terminal) went on to every worker: node does not
// close it, nor does bubblewrap, and through /proc/self/fd/N a sandboxed worker appended to
// the file behind it, or, given a directory, reached the whole host filesystem by `..`.
// Every child the engine starts gets the null device there instead.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const register = path.join(root, 'test', 'helpers', 'esbuild-register.mjs');

t.test('a descriptor inherited without close-on-exec does not reach a child of spawnGroup', { skip: process.platform !== 'linux' && 'Linux only' }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-fds-'));
  const outside = path.join(dir, 'outside.txt');
  writeFileSync(outside, 'the user\'s\n');
  const script = path.join(dir, 'child.mts');
  writeFileSync(
    script,
    [
      `import { spawnGroup } from ${JSON.stringify(path.join(root, 'engine', 'proc', 'spawn-group.ts'))};`,
      "let out = '';",
      `const g = spawnGroup('sh', ['-c', 'echo planted >> /proc/self/fd/200; echo "200 is $(readlink /proc/self/fd/200)"; ls /proc/self/fd/201/ >/dev/null 2>&1 && echo SAW-DIR; true'], { cwd: '/', env: process.env, onStdout: (c) => { out += c; } });`,
      'const r = await g.done;',
      'process.stdout.write(JSON.stringify({ exit: r.exitCode, out }));',
    ].join('\n'),
  );
  const file = openSync(outside, 'a');
  const dirFd = openSync(dir, 'r');
  try {
    // The test's child inherits both (node's spawn hands a descriptor on without close-on-exec).
    const stdio: Array<'pipe' | 'ignore' | number> = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(197).fill('ignore'), file, dirFd];
    const r = spawnSync(process.execPath, [`--import=${register}`, script], { stdio, encoding: 'utf8' });
    t.equal(r.status, 0, String(r.stderr));
    const got = JSON.parse(String(r.stdout)) as { exit: number; out: string };
    t.equal(got.exit, 0);
    t.match(got.out, /^200 is (\/dev\/null)?$/m, 'descriptor 200 of the child is the null device, or closed');
    t.notMatch(got.out, /SAW-DIR/, 'nor list the directory behind 201');
    t.equal(readFileSync(outside, 'utf8'), "the user's\n", 'the file is as it was');
  } finally {
    closeSync(file);
    closeSync(dirFd);
  }
});

t.test("the engine closes what its parent left open: no process it starts, without the OS sandbox either, finds it in the engine's /proc", { skip: process.platform !== 'linux' && 'Linux only' }, async (t) => {
  // A verification command (run without the OS sandbox, as the engine's child) writes into
  // descriptor 200 of every process it can see: the engine held the file there, inherited,
  // until it closed it at its start.
  const tier0 = 'for p in /proc/[0-9]*; do echo planted >> $p/fd/200; done 2>/dev/null; test -f README.md';
  const f = makeFixture({ policy: { sandbox: { mode: 'off' }, verification: { tiers: { tier0: { commands: [tier0] }, tier2: { commands: ['test -f src/a.txt'] } } } } });
  const outside = path.join(f.dir, 'outside.txt');
  writeFileSync(outside, "the user's\n");
  const file = openSync(outside, 'a');
  try {
    const stdio: Array<'pipe' | 'ignore' | number> = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(197).fill('ignore'), file];
    const r = spawnSync('/usr/bin/env', [...bareNode, engineBin, 'run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress'], { cwd: f.dir, env: childEnv(), stdio, encoding: 'utf8' });
    t.equal(r.status, 0, String(r.stderr));
    t.equal(readFileSync(outside, 'utf8'), "the user's\n", 'nothing was written through the descriptor');
  } finally {
    closeSync(file);
  }
});

t.test("closing them leaves Node's IPC channel working (an engine started with fork)", { skip: process.platform !== 'linux' && 'Linux only' }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-fds-'));
  const script = path.join(dir, 'child.mts');
  writeFileSync(
    script,
    [
      `import { closeInheritedDescriptors, inheritedDescriptors } from ${JSON.stringify(path.join(root, 'engine', 'proc', 'inherited-fds.ts'))};`,
      'closeInheritedDescriptors();',
      "process.send!({ left: inheritedDescriptors() }, () => process.disconnect());",
    ].join('\n'),
  );
  const file = openSync(path.join(dir, 'inherited.txt'), 'a');
  try {
    // The child gets the channel and, at 200, a descriptor without close-on-exec.
    const stdio: Array<'pipe' | 'ignore' | 'ipc' | number> = ['ignore', 'ignore', 'pipe', 'ipc', ...Array<'ignore'>(196).fill('ignore'), file];
    const child = spawn(process.execPath, [`--import=${register}`, script], { stdio });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    let message: unknown = null;
    child.on('message', (m) => (message = m));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    t.equal(code, 0, stderr);
    t.same(message, { left: [] }, 'the message came through the channel; descriptor 200 was closed');
  } finally {
    closeSync(file);
  }
});

t.test("V8's own log files are not taken for inherited descriptors: a run profiled with --perf-basic-prof or --prof works", { skip: process.platform !== 'linux' && 'Linux only' }, async (t) => {
  // V8 opens its logs without close-on-exec. Closed as inherited, their numbers went to the
  // engine's shell of git commands, and V8 went on writing its profile into the shell's input:
  // the shell ended with a syntax error and the run with exit 70.
  for (const flag of ['--perf-basic-prof', '--prof']) {
    const f = makeFixture({});
    const r = spawnSync('/usr/bin/env', [...bareNode, flag, engineBin, 'run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress'], { cwd: f.dir, env: childEnv(), encoding: 'utf8' });
    t.equal(r.status, 0, `${flag}: ${r.stderr}`);
    const logs = readdirSync(flag === '--prof' ? f.dir : os.tmpdir()).filter((n) => (flag === '--prof' ? n.endsWith('v8.log') : n === `perf-${r.pid}.map`));
    t.ok(logs.length > 0, `${flag}: V8 wrote its log`);
    if (flag === '--perf-basic-prof') for (const n of logs) rmSync(path.join(os.tmpdir(), n), { force: true });
  }
});
