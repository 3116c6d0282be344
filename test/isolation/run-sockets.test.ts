// test cost: about 6 s: one hostile scenario, a whole run in each sandbox mode (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runScenario, INERT_OR_VIOLATION } from './helpers/scenario.js';

// Contract §5: a sandboxed worker reaches nothing of the user's but its workspace and the
// network. A read-only mount does not stop a connect(): through the socket of an ssh-agent
// under /run (systemd's ssh-agent.socket, a keyring) a worker listed the user's key and signed
// with it; the session and system buses, docker's socket, are the same kind of door. The
// sandbox's /run is an empty tmpfs. (A socket under /tmp was already hidden by the private /tmp.)
const sock = `/run/engine-iso-${process.pid}.sock`;
const canServe = process.platform === 'linux' && existsSync('/run');

t.test('a socket of a service under /run, connected to by the worker', { skip: !canServe && 'needs a writable /run' }, async (t) => {
  // In a process of its own: the runs below block this one's event loop.
  const server = spawn(process.execPath, ['-e', `require('net').createServer((c) => c.end('secret agent reply\\n')).listen(${JSON.stringify(sock)}, () => console.log('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    server.kill('SIGKILL');
    rmSync(sock, { force: true });
  });
  const ready = await new Promise<boolean>((resolve) => {
    server.stdout.once('data', () => resolve(true));
    server.once('exit', () => resolve(false));
  });
  if (!ready) {
    t.plan(0, 'cannot serve a socket in /run here');
    return;
  }
  const sh = `node -e "require('net').connect('${sock}').on('data', (d) => { require('fs').writeFileSync(process.env.ISO_SCRATCH + '/reached', d); process.exit(0); }).on('error', () => process.exit(0))"`;
  runScenario(t, {
    name: 'runsock',
    spec: { calls: { implement: { sh } } },
    expect: INERT_OR_VIOLATION,
    onBranch: (t, _entries, { f, mode }) => {
      // Without the sandbox the worker is the user: the socket is its to use. Under bwrap it must not be there.
      if (mode === 'bwrap') t.notOk(existsSync(path.join(f.scratch, 'reached')), 'under bwrap the socket in /run is out of reach');
    },
  });
});
