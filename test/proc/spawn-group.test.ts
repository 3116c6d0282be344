import t from 'tap';
import { spawnGroup, groupAlive } from '../../engine/proc/spawn-group.js';

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
