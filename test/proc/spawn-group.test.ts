import t from 'tap';
import { spawnGroup, groupAlive, processAlive } from '../../engine/proc/spawn-group.js';

const node = process.execPath;
// Children start as plain node: the test runner's loader options would slow their start
// past the short idle limit below.
const childEnv = { ...process.env };
delete childEnv.NODE_OPTIONS;

t.test('captures output and exit code', async (t) => {
  const out: Buffer[] = [];
  const g = spawnGroup(node, ['-e', 'process.stdout.write("hi"); process.exit(3)'], {
    cwd: process.cwd(),
    env: process.env,
    onStdout: (c) => out.push(c),
  });
  const r = await g.done;
  t.equal(r.exitCode, 3);
  t.equal(Buffer.concat(out).toString(), 'hi');
  t.notOk(r.timedOut);
});

t.test('stdin text reaches the child and is closed', async (t) => {
  const out: Buffer[] = [];
  const g = spawnGroup(node, ['-e', 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(s.toUpperCase()))'], {
    cwd: process.cwd(),
    env: process.env,
    stdin: 'abc',
    onStdout: (c) => out.push(c),
  });
  await g.done;
  t.equal(Buffer.concat(out).toString(), 'ABC');
});

t.test('without stdin text the child reads the end of input at once, from the null device', async (t) => {
  // A child that waits for stdin must not hang: a command given no stdin reads nothing.
  const out: Buffer[] = [];
  const g = spawnGroup('/bin/sh', ['-c', 'cat; echo "read:$?"; ls -l /proc/self/fd/0'], {
    cwd: process.cwd(),
    env: childEnv,
    stdin: null,
    timeoutMs: 20_000,
    onStdout: (c) => out.push(c),
  });
  const r = await g.done;
  t.equal(r.exitCode, 0);
  t.notOk(r.timedOut, 'did not wait for input');
  const text = Buffer.concat(out).toString();
  t.match(text, /^read:0\n/, 'cat saw the end of input');
  t.match(text, /-> \/dev\/null\n$/, 'stdin is the null device, not a pipe left open');
});

t.test('idle timeout ends the child and its own child', async (t) => {
  // The worker starts a grandchild that would outlive it, then goes silent.
  const script = `
    const { spawn } = require('node:child_process');
    const c = spawn(process.execPath, ['-e', 'setInterval(()=>{}, 1000)'], { stdio: 'ignore' });
    console.log('grandchild ' + c.pid);
    setInterval(() => {}, 1000);
  `;
  let text = '';
  const g = spawnGroup(node, ['-e', script], {
    cwd: process.cwd(),
    env: childEnv,
    idleTimeoutMs: 1500,
    graceMs: 200,
    onStdout: (c) => (text += c.toString()),
  });
  const r = await g.done;
  t.ok(r.idleTimedOut, 'idle timeout recorded');
  t.not(r.exitCode, 0);
  const grandchild = Number(/grandchild (\d+)/.exec(text)?.[1]);
  t.ok(grandchild > 0, 'grandchild started');
  t.notOk(groupAlive(r.pid!), 'no process of the group is left');
});

t.test('a missing binary is reported, not thrown', async (t) => {
  const g = spawnGroup('/nonexistent/bin/xyz', [], { cwd: process.cwd(), env: process.env });
  const r = await g.done;
  t.match(r.error, /ENOENT/);
});

t.test('kill() ends a child that ignores SIGTERM: SIGKILL follows after the grace', async (t) => {
  // The child says "armed" once its SIGTERM handler is in place; only then is it ended.
  const script = `process.on('SIGTERM', () => console.log('term ignored')); console.log('armed'); setInterval(() => {}, 1000);`;
  let text = '';
  const g = spawnGroup(node, ['-e', script], {
    cwd: process.cwd(),
    env: childEnv,
    graceMs: 300,
    onStdout: (c) => {
      text += c.toString();
      if (text.includes('armed')) {
        g.kill();
        g.kill(); // a second call while the group is being ended changes nothing
      }
    },
  });
  const r = await g.done;
  t.match(text, /term ignored/, 'the child saw SIGTERM first');
  t.equal(r.signal, 'SIGKILL', 'then SIGKILL ended it');
  t.notOk(r.timedOut, 'not a wall-clock timeout');
  t.notOk(r.idleTimedOut, 'not an idle timeout');
  t.notOk(groupAlive(r.pid!), 'no process of the group is left');
});

t.test('the wall-clock limit ends a child that keeps talking', async (t) => {
  const g = spawnGroup(node, ['-e', 'setInterval(() => console.log("tick"), 50)'], {
    cwd: process.cwd(),
    env: childEnv,
    timeoutMs: 1500,
    idleTimeoutMs: 60_000,
    graceMs: 200,
  });
  const r = await g.done;
  t.ok(r.timedOut, 'wall-clock timeout recorded');
  t.notOk(r.idleTimedOut, 'the idle limit did not fire: output kept re-arming it');
  t.equal(r.exitCode, null, 'ended by a signal');
  t.ok(r.signal === 'SIGTERM' || r.signal === 'SIGKILL', `ended by ${r.signal}`);
});

t.test('onSpawn gets the pid the result reports; stderr reaches onStderr apart from stdout', async (t) => {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let spawned: number | null = null;
  const g = spawnGroup(node, ['-e', 'process.stdout.write("out"); process.stderr.write("err")'], {
    cwd: process.cwd(),
    env: process.env,
    onSpawn: (pid) => (spawned = pid),
    onStdout: (c) => out.push(c),
    onStderr: (c) => err.push(c),
  });
  const r = await g.done;
  t.equal(spawned, r.pid, 'the pid given to onSpawn is the result pid');
  t.equal(g.pid, r.pid, 'and the group handle pid');
  t.equal(Buffer.concat(out).toString(), 'out');
  t.equal(Buffer.concat(err).toString(), 'err');
  t.equal(r.exitCode, 0);
  t.equal(r.error, null);
});

t.test('a child that exits by itself takes along a grandchild that holds its pipes', async (t) => {
  // The grandchild inherits stdout/stderr: without the sweep at exit, 'close' would never come.
  const script = `
    const { spawn } = require('node:child_process');
    const c = spawn(process.execPath, ['-e', 'setInterval(()=>{}, 1000)'], { stdio: 'inherit' });
    console.log('grandchild ' + c.pid);
    setTimeout(() => process.exit(0), 100);
  `;
  let text = '';
  const g = spawnGroup(node, ['-e', script], { cwd: process.cwd(), env: childEnv, onStdout: (c) => (text += c.toString()) });
  const r = await g.done;
  t.equal(r.exitCode, 0, 'the child exit code is kept');
  t.notOk(r.timedOut || r.idleTimedOut, 'no limit fired');
  const grandchild = Number(/grandchild (\d+)/.exec(text)?.[1]);
  t.ok(grandchild > 0, 'grandchild started');
  t.notOk(processAlive(grandchild), 'the grandchild is gone');
  t.notOk(groupAlive(r.pid!), 'no process of the group is left');
});

t.test('a process that left the group (setsid) and holds the pipes does not hold the result back', async (t) => {
  // Without the OS sandbox a worker can start a process in a new session that keeps its
  // stdout: the group sweep cannot reach it, and 'close' never came. A hostile probe hung
  // the engine so, past its limits and through SIGTERM. Once the child has exited, its pipes
  // are given the grace and then closed from our side.
  const script = `
    const { spawn } = require('node:child_process');
    const c = spawn('setsid', [process.execPath, '-e', 'setInterval(()=>{}, 1000)'], { stdio: 'inherit' });
    console.log('escaped ' + c.pid);
    setTimeout(() => process.exit(0), 300);
  `;
  let text = '';
  const started = Date.now();
  const g = spawnGroup(node, ['-e', script], { cwd: process.cwd(), env: childEnv, graceMs: 300, timeoutMs: 60_000, onStdout: (c) => (text += c.toString()) });
  const escaped = () => Number(/escaped (\d+)/.exec(text)?.[1]);
  t.teardown(() => {
    try {
      process.kill(escaped(), 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  const r = await g.done;
  t.equal(r.exitCode, 0, 'the child exit code is kept');
  t.ok(escaped() > 0 && processAlive(escaped()), 'the escaped process still runs (out of reach without a sandbox)');
  t.ok(Date.now() - started < 20_000, `the result came after the grace, not at the wall-clock limit (${Date.now() - started} ms)`);
  t.equal(r.outputHeldOpen, true, 'the result says its output was held open');
  t.notOk(r.timedOut || r.idleTimedOut, 'no limit fired');
});

// A hostile review: Node runs a timer of more than 2^31-1 ms (24.8 days) after 1 ms, so a
// worker's `timeout_s: 3000000` ("effectively no limit") ended every call at once, and a
// verification tier's ended its command "after 3000000 s" in 15 ms.
t.test('limits longer than a Node timer keeps (24.8 days) do not fire at once', async (t) => {
  const g = spawnGroup('/bin/sh', ['-c', 'sleep 0.3; echo done'], { cwd: process.cwd(), env: childEnv, timeoutMs: 3_000_000_000, idleTimeoutMs: 3_000_000_000 });
  const r = await g.done;
  t.equal(r.exitCode, 0);
  t.notOk(r.timedOut || r.idleTimedOut, 'no limit fired');
});
