import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// @ts-expect-error: a plain ES module of the repo's scripts, without types
import { openRunGroup, readAccounts, removeGroup } from '../../scripts/cpu-groups.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const groups = pathToFileURL(path.join(root, 'scripts', 'cpu-groups.mjs')).href;

// Time as a parent measures it misses a process reaped by someone else (a sandboxed worker's
// init is reaped by the machine's): the group counts it. A child moves into its group, starts
// a grandchild that leaves it (a double fork: reaped by init) and spins for 400 ms of CPU,
// waits for it to end, and exits; its account holds the grandchild's CPU, and what the child
// spent before it joined (the group never saw that), with the child's own part apart.
t.test("a test process's account holds the CPU of a process reaped by init", async (t) => {
  const group = openRunGroup(`engine-tests-check-${process.pid}`) as string | null;
  if (group === null) {
    t.pass('no control group can be made here (not root, or no cpuacct or hybrid cgroup v2): nothing is measured');
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-cpu-groups-'));
  t.teardown(() => {
    removeGroup(group);
    rmSync(dir, { recursive: true, force: true });
  });
  const out = path.join(dir, 'cpu.jsonl');
  const done = path.join(dir, 'done');
  const spin = `const t = process.cpuUsage(); while ((process.cpuUsage(t).user + process.cpuUsage(t).system) < 400000); require('fs').writeFileSync(${JSON.stringify(done)}, '')`;
  const child = [
    `import { accountThisProcess } from ${JSON.stringify(groups)};`,
    `import { spawnSync } from 'node:child_process'; import { existsSync } from 'node:fs';`,
    // 300 ms of its own before it joins, as a test process's start-up is.
    `const s = process.cpuUsage(); while ((process.cpuUsage(s).user + process.cpuUsage(s).system) < 300000);`,
    `accountThisProcess(${JSON.stringify(group)}, ${JSON.stringify(out)}, 'spin.test.ts');`,
    `spawnSync('/bin/sh', ['-c', '(${process.execPath} -e "$0" &) ', ${JSON.stringify(spin)}]);`,
    `while (!existsSync(${JSON.stringify(done)})) await new Promise((r) => setTimeout(r, 20));`,
    `await new Promise((r) => setTimeout(r, 100));`,
  ].join('\n');
  const timed = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, '--input-type=module', '-e', child], { encoding: 'utf8', timeout: 60_000 });
  t.equal(timed.status, 0, timed.stderr);
  const [account] = readAccounts(out) as { file: string; cpu_ms: number; own_ms: number }[];
  t.equal(account?.file, 'spin.test.ts');
  t.ok((account?.cpu_ms ?? 0) >= 700, `the account holds the grandchild's 400 ms and the 300 ms spent before joining (${account?.cpu_ms} ms)`);
  const own = account?.own_ms ?? 0;
  t.ok(own >= 300 && own <= (account?.cpu_ms ?? 0) - 350, `the process's own part: its start and its 300 ms, not the grandchild's 400 (${own} of ${account?.cpu_ms} ms)`);
  const parentView = timed.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  const parentMs = (parentView[0]! + parentView[1]!) * 1000;
  t.ok(parentMs <= (account?.cpu_ms ?? 0) - 350, `time as the parent measures it does not hold the grandchild's 400 ms (${parentMs.toFixed(0)} of ${account?.cpu_ms} ms)`);
  removeGroup(group);
  t.notOk(existsSync(group), 'the run group is removed, its emptied groups with it');
  t.notOk(readdirSync(path.dirname(group)).includes(path.basename(group)));
});
