import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnGroup, groupAlive, waitSandboxGone } from '../../engine/proc/spawn-group.js';
import { wrapCommand } from '../../engine/sandbox/wrap-command.js';
import { decideSandbox } from '../../engine/sandbox/sandbox-status.js';
import { probeBwrap } from '../../engine/sandbox/probe-bwrap.js';

// After a sandboxed child exits, the sweep waits for the sandbox's init that bubblewrap names
// on its --info-fd instead of reading every process of the machine. What must hold is what the
// full sweep gave: when `done` resolves, nothing the child left behind runs or writes again.
const bwrap = probeBwrap(process.env);
const skip = bwrap.ok ? false : `bubblewrap does not work here (${bwrap.error})`;
const childEnv = { ...process.env };
delete childEnv.NODE_OPTIONS;

/** Host pids whose command line carries `token`. */
function processesWith(token: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(token)) found.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return found;
}

t.test('a sandboxed child leaves nothing running: a background sleeper, a setsid one, a double fork', { skip }, async (t) => {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'engine-sweep-'));
  t.teardown(() => rmSync(ws, { recursive: true, force: true }));
  const token = `sweep${process.pid}x${Math.random().toString(36).slice(2, 10)}`;
  const late = (name: string) => `sh -c 'sleep 0.4; echo late > ${name}; : ${token}'`;
  const script = [
    `${late('bg.txt')} &`,
    `setsid ${late('setsid.txt')} </dev/null >/dev/null 2>&1 &`,
    `(${late('double.txt')} &) &`,
    'echo started',
  ].join('\n');
  const sandbox = decideSandbox({ mode: 'bwrap', writable: [] }, bwrap);
  const cmd = wrapCommand(sandbox, { bin: 'sh', args: ['-c', script], cwd: ws, workspace: ws, readOnly: false, home: null });
  t.equal(cmd.infoFd, 3, 'the wrapped command reports its sandbox on a descriptor of its own');
  t.ok(cmd.args.includes('--info-fd'));
  let out = '';
  const g = spawnGroup(cmd.bin, cmd.args, { cwd: ws, env: childEnv, infoFd: cmd.infoFd, inputFd: cmd.inputFd, onStdout: (c) => (out += c.toString()) });
  const r = await g.done;
  t.equal(r.exitCode, 0, out);
  t.match(out, /started/);
  t.type(r.sandboxInitPid, 'number', 'bubblewrap named its init on the descriptor');
  t.not(r.sandboxInitPid, r.pid, 'a process of its own, not bubblewrap');
  t.same(readdirSync(os.tmpdir()).filter((n) => n.startsWith(`engine-sandbox-info-${process.pid}-`)), [], 'the file it wrote to has no name left');
  t.same(processesWith(token), [], 'no leftover of the child runs once done resolved');
  t.notOk(groupAlive(r.pid!), 'no live process of the group is left');
  await sleep(700);
  t.same(['bg.txt', 'setsid.txt', 'double.txt'].filter((f) => existsSync(path.join(ws, f))), [], 'and none wrote later');
});

t.test('waitSandboxGone: a pid now in another group is not the init; a live init in the group is waited for', async (t) => {
  // This test process stands for an init pid reused by an unrelated process.
  const g = spawnGroup('sleep', ['30'], { cwd: process.cwd(), env: childEnv });
  t.ok(g.pid);
  t.equal(await waitSandboxGone(g.pid!, process.pid, 1000), true, "a pid of another group: that init is gone");
  t.equal(await waitSandboxGone(g.pid!, g.pid!, 60), false, 'a live init in the group is waited for until the limit');
  g.kill();
  await g.done;
  t.equal(await waitSandboxGone(g.pid!, g.pid!, 1000), true, 'gone once the group is');
});

t.test('no temp dir to write bubblewrap\'s report in: the command runs, the full sweep stands in', { skip }, async (t) => {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'engine-sweep-'));
  t.teardown(() => rmSync(ws, { recursive: true, force: true }));
  const saved = process.env.TMPDIR;
  t.teardown(() => (saved === undefined ? delete process.env.TMPDIR : (process.env.TMPDIR = saved)));
  const sandbox = decideSandbox({ mode: 'bwrap', writable: [] }, bwrap);
  const cmd = wrapCommand(sandbox, { bin: 'sh', args: ['-c', 'echo ran'], cwd: ws, workspace: ws, readOnly: false, home: null });
  process.env.TMPDIR = path.join(ws, 'no-such-dir');
  // Two at once: a file kept from an earlier start of this process serves one at most, so at
  // least one start finds no file to make.
  const runs = await Promise.all([0, 1].map(async () => {
    let out = '';
    const r = await spawnGroup(cmd.bin, cmd.args, { cwd: ws, env: childEnv, infoFd: cmd.infoFd, inputFd: cmd.inputFd, onStdout: (c) => (out += c.toString()) }).done;
    return { ...r, out };
  }));
  for (const r of runs) {
    t.equal(r.exitCode, 0, r.out);
    t.equal(r.out, 'ran\n');
    t.notOk(groupAlive(r.pid!));
  }
  t.ok(runs.some((r) => r.sandboxInitPid === null), 'where no file could be made, no init is named: the group is swept as a whole');
});

t.test('one sandboxed start after another: each reads the init its own bubblewrap named', { skip }, async (t) => {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'engine-sweep-'));
  t.teardown(() => rmSync(ws, { recursive: true, force: true }));
  const sandbox = decideSandbox({ mode: 'bwrap', writable: [] }, bwrap);
  const inits: (number | null | undefined)[] = [];
  for (let i = 0; i < 4; i++) {
    const cmd = wrapCommand(sandbox, { bin: 'sh', args: ['-c', 'echo $$'], cwd: ws, workspace: ws, readOnly: false, home: null });
    const r = await spawnGroup(cmd.bin, cmd.args, { cwd: ws, env: childEnv, infoFd: cmd.infoFd, inputFd: cmd.inputFd }).done;
    t.equal(r.exitCode, 0);
    inits.push(r.sandboxInitPid);
  }
  t.ok(inits.every((p) => typeof p === 'number'), `every start named its init: ${inits.join(', ')}`);
  t.equal(new Set(inits).size, inits.length, 'a different one each time: nothing of an earlier report is read again');
});

t.test('many sandboxed starts at once: each reads its own init, and few files are kept after', { skip }, async (t) => {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'engine-sweep-'));
  t.teardown(() => rmSync(ws, { recursive: true, force: true }));
  const sandbox = decideSandbox({ mode: 'bwrap', writable: [] }, bwrap);
  const fds = () => readdirSync('/proc/self/fd').length;
  const before = fds();
  const runs = await Promise.all(Array.from({ length: 12 }, async () => {
    const cmd = wrapCommand(sandbox, { bin: 'sh', args: ['-c', 'sleep 0.2'], cwd: ws, workspace: ws, readOnly: false, home: null });
    return spawnGroup(cmd.bin, cmd.args, { cwd: ws, env: childEnv, infoFd: cmd.infoFd, inputFd: cmd.inputFd }).done;
  }));
  t.ok(runs.every((r) => r.exitCode === 0 && typeof r.sandboxInitPid === 'number'), 'all ran and named an init');
  t.equal(new Set(runs.map((r) => r.sandboxInitPid)).size, runs.length, 'each its own');
  t.ok(fds() - before <= 8, `at most 8 descriptors kept (${fds() - before} more than before)`);
});
