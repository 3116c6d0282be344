import { closeSync, openSync, readdirSync, readlinkSync, realpathSync, writeSync } from 'node:fs';
import path from 'node:path';
import { readRunFileSync } from '../util/read-run-record.js';
import { removeFile } from '../util/remove-tree.js';

/**
 * One engine drives a run at a time: a lock file holding the driver's pid, taken with O_EXCL
 * and kept open by the driver until it lets go. A lock whose pid is dead (a crashed engine)
 * is taken over — unless a live process still has the file open. Without the OS sandbox a
 * worker can write the run store: a dead pid written into the lock got `engine clean` to
 * remove the live run's workspace. What the file says can be forged; the driver's open file,
 * which the kernel closes when the driver dies, cannot (Linux: /proc; elsewhere the pid alone
 * tells). Impure.
 */
export function acquireRunLock(file: string): { release(): void } {
  for (let tries = 0; tries < 2; tries++) {
    try {
      // Node opens files close-on-exec: no worker inherits it.
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      let open = true;
      return {
        release: () => {
          if (open) closeSync(fd);
          open = false;
          try {
            removeFile(file);
          } catch {
            // Closed is released: a file left behind (its folder refused the removal) names a
            // process that holds it no more, and the next driver takes it (below). Thrown here,
            // it hid the error that ended the run.
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = lockPid(file);
      if (pid && pid !== process.pid && isAlive(pid)) throw new RunLockedError(`run is being driven by engine process ${pid}`);
      const holder = openedBy(file).find((p) => p !== process.pid);
      // The engine that drives it, or a process a worker left holding it: either way not ours to take.
      if (holder) throw new RunLockedError(`process ${holder} has the run's lock open, whatever the file says (${pid || 'nothing readable'})`);
      removeFile(file);
    }
  }
  throw new RunLockedError('could not take the run lock');
}

export class RunLockedError extends Error {
  override name = 'RunLockedError';
}

function lockPid(file: string): number {
  try {
    const pid = Number(readRunFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
  } catch {
    return 0;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What processes have open: the path each open file shows (`<path> (deleted)` once removed or replaced) and a pid holding it. */
export type OpenFiles = Map<string, number>;

/**
 * Every file any process this user can see has open, read once from /proc (empty where
 * there is none: the pid in the lock alone tells there). Impure.
 */
export function readOpenFiles(): OpenFiles {
  const out: OpenFiles = new Map();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (link.startsWith('/') && !out.has(link)) out.set(link, Number(pid));
      } catch {
        // closed meanwhile
      }
    }
  }
  return out;
}

/** The pids that have `file` open, also after it was removed or replaced. Impure (resolves the path). */
export function openedBy(file: string, open: OpenFiles = readOpenFiles()): number[] {
  let target: string;
  try {
    target = path.join(realpathSync(path.dirname(file)), path.basename(file));
  } catch {
    return [];
  }
  return [open.get(target), open.get(`${target} (deleted)`)].filter((p): p is number => p !== undefined);
}

/**
 * True when a live engine process holds the run's lock (it is being driven now): the pid in
 * it is alive, or a process has the lock file open (the file itself removed or rewritten by
 * someone else). `open`: the open files, read once for many runs. Impure.
 */
export function runLockHeld(file: string, open?: OpenFiles): boolean {
  const pid = lockPid(file);
  if (pid && isAlive(pid)) return true;
  return openedBy(file, open ?? readOpenFiles()).length > 0;
}
