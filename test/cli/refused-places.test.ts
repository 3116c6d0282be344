import t from 'tap';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bareNode, childEnv, engineBin, makeFixture } from '../helpers/run-fixture.js';

// Places and ports the user names that the system refuses are bad input (exit 2, said at
// once), never an engine bug (exit 70) nor a hang: under /proc, Node's recursive mkdir spun
// for ever at full CPU, deaf to SIGTERM; /sys and a port in use were internal errors.
const linux = process.platform === 'linux';

/** The engine CLI with a limit of its own: a hang fails here in 30 s, not the test's 10 minutes. */
function engine(args: string[], cwd: string) {
  const r = spawnSync('/usr/bin/env', [...bareNode, engineBin, ...args], { cwd, env: childEnv({ ENGINE_HOME: path.join(cwd, 'engine-home') }), encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
  return { code: r.status, signal: r.signal, stderr: r.stderr };
}

t.test('a run store or workspaces root the system will not make: exit 2 at once, naming it', { skip: !linux && 'Linux only (/proc)' }, async (t) => {
  const f = makeFixture();
  for (const [flag, what] of [['--store', 'the run store'], ['--workspaces', "the workspaces' root"]] as const) {
    const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress', flag, '/proc/engine-no-such'], f.dir);
    t.equal(r.signal, null, `${flag}: no hang`);
    t.equal(r.code, 2, `${flag}: exit 2\n${r.stderr}`);
    t.match(r.stderr, `cannot make ${what} /proc/engine-no-such`);
  }
});

t.test("demo --dir the system refuses: exit 2 naming it, not an internal error", { skip: !linux && 'Linux only (/proc, /sys)' }, async (t) => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'engine-refused-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  for (const dir of ['/proc/engine-no-such', '/sys/engine-no-such']) {
    const r = engine(['demo', '--dir', dir, '--no-progress'], cwd);
    t.equal(r.signal, null, `${dir}: no hang`);
    t.equal(r.code, 2, `${dir}: exit 2\n${r.stderr}`);
    t.match(r.stderr, `cannot make the scratch repo in ${dir}`);
  }
});

t.test('stub-model on a port in use, or logging to a directory: exit 2 saying so', async (t) => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'engine-refused-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const scenario = path.resolve('tasks', 'golden', 'add-function.scenario.yaml');
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  t.teardown(() => busy.close());
  const port = (busy.address() as { port: number }).port;
  // The engine would serve for ever: started and ended by its own limit only if it wrongly started.
  const taken = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const r = spawnSync('/usr/bin/env', [...bareNode, engineBin, 'stub-model', '--scenario', scenario, '--port', String(port)], { cwd, env: childEnv(), encoding: 'utf8', timeout: 20_000 });
    resolve({ code: r.status, stderr: r.stderr });
  });
  t.equal(taken.code, 2, taken.stderr);
  t.match(taken.stderr, `--port ${port} is in use on 127.0.0.1`);
  const logDir = engine(['stub-model', '--scenario', scenario, '--log', cwd], cwd);
  t.equal(logDir.code, 2, logDir.stderr);
  t.match(logDir.stderr, 'is a directory');
});

t.test('init --repo a directory the system will not write into: exit 2 at once, naming it', { skip: !linux && 'Linux only (/proc)' }, async (t) => {
  // Its .engine was made by Node's recursive mkdir: under /proc that spun for ever.
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'engine-refused-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const r = engine(['init', '--repo', '/proc'], cwd);
  t.equal(r.signal, null, 'no hang');
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /engine init: error E_FILE cannot write \S*proc\/\.engine: no such file/);
});
