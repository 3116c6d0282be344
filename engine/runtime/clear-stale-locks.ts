import { lockPath, removeLock, type LockFile } from '../git/stale-locks.js';
import { openedBy, readOpenFiles } from '../store/run-lock.js';

export interface StaleLocks {
  /** Still open in a live process after the wait: left where they are. */
  held: { file: string; pid: number }[];
  /** No process held them, and the system refused their removal (a folder made read-only). */
  stuck: string[];
}

/**
 * Removes each lock no process has open (git's own lock files: git/stale-locks.ts). One a
 * process holds (a git still writing it) is waited for up to `waitMs`, then left and reported
 * with the holder's pid. Only for locks the caller knows no git of its own can be taking now
 * (resume, with the run lock held). A git closes a ref's lock just before it renames it into
 * place, so a git at that very instant is not seen: the run lock, not this check, is what says
 * no git of the run is running. Where the system cannot tell who has a file open (no /proc, or
 * a process /proc does not show), a lock is taken for a dead git's. Impure (reads /proc,
 * removes files, waits).
 */
export async function clearStaleLocks(locks: readonly LockFile[], o: { waitMs: number }): Promise<StaleLocks> {
  const stuck: string[] = [];
  let left = [...locks];
  const until = Date.now() + o.waitMs;
  while (left.length > 0) {
    const held: { lock: LockFile; pid: number }[] = [];
    // Read once a round: every process's open files.
    const open = readOpenFiles();
    for (const lock of left) {
      const pid = openedBy(lockPath(lock), open)[0];
      if (pid !== undefined) held.push({ lock, pid });
      else if (!removeLock(lock)) stuck.push(lockPath(lock));
    }
    if (held.length === 0 || Date.now() >= until) return { stuck, held: held.map((h) => ({ file: lockPath(h.lock), pid: h.pid })) };
    left = held.map((h) => h.lock);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { stuck, held: [] };
}
