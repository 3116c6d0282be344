// test cost: about 1 s: a child process holds a lock while its file is forged.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { acquireRunLock, runLockHeld, RunLockedError } from '../../engine/store/run-lock.js';

// Without the OS sandbox a worker can write the run store. It wrote a dead pid into its run's
// lock, and `engine clean` then took the live run for a crashed one and removed its
// workspace. The driver keeps the lock file open; that cannot be forged.

const lockModule = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/engine/store/run-lock.js');

/** A process that takes the lock and holds it until killed. */
async function holder(t: { teardown(fn: () => void): void }, file: string) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', `const { acquireRunLock } = await import(${JSON.stringify(lockModule)}); acquireRunLock(${JSON.stringify(file)}); console.log('held'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  await once(child.stdout!, 'data');
  return child;
}

function lockDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a lock whose file now names a dead pid, or is gone, is still held while its driver lives', async (t) => {
  const file = path.join(lockDir(t), 'run.lock');
  const child = await holder(t, file);
  t.ok(runLockHeld(file), 'held: its pid is alive');
  writeFileSync(file, '2147483646');
  t.ok(runLockHeld(file), 'a dead pid written into it: still held');
  t.throws(() => acquireRunLock(file), new RunLockedError(`process ${child.pid} has the run's lock open, whatever the file says (2147483646)`), 'and not taken over');
  rmSync(file);
  writeFileSync(file, '2147483646');
  t.ok(runLockHeld(file), 'removed and written anew: still held (the driver has the old file open)');
  rmSync(file);
  t.ok(runLockHeld(file), 'removed: still held');
  child.kill('SIGKILL');
  await once(child, 'exit');
  t.notOk(runLockHeld(file), 'its driver dead: no longer held');
});

t.test('a crashed driver\'s lock is taken over; a released one is gone', async (t) => {
  const file = path.join(lockDir(t), 'run.lock');
  const child = await holder(t, file);
  child.kill('SIGKILL');
  await once(child, 'exit');
  t.notOk(runLockHeld(file), 'the kernel closed the dead driver\'s file');
  const lock = acquireRunLock(file);
  t.ok(runLockHeld(file), 'taken over by this process');
  lock.release();
  t.notOk(runLockHeld(file));
  lock.release();
  t.pass('a second release is harmless');
});
