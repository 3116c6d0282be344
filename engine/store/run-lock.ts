import { openSync, writeSync, closeSync, readFileSync, rmSync } from 'node:fs';

/**
 * One engine drives a run at a time: a lock file holding the driver's pid, taken with O_EXCL.
 * A lock whose pid is dead (a crashed engine) is taken over. Impure.
 */
export function acquireRunLock(file: string): { release(): void } {
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { release: () => rmSync(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) throw new RunLockedError(`run is being driven by engine process ${pid}`);
      rmSync(file, { force: true });
    }
  }
  throw new RunLockedError('could not take the run lock');
}

export class RunLockedError extends Error {
  override name = 'RunLockedError';
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when a live engine process holds the run's lock (it is being driven now). Impure. */
export function runLockHeld(file: string): boolean {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Boolean(pid) && isAlive(pid);
  } catch {
    return false;
  }
}
