import { unlinkSync } from 'node:fs';
import { openedBy, readOpenFiles } from '../store/run-lock.js';

export interface StaleLocks {
  /** Removed: no process had them open. */
  removed: string[];
  /** Still open in a live process after the wait: left where they are. */
  held: { file: string; pid: number }[];
}

/**
 * Removes each lock file no process has open. One a process holds (a git still writing it)
 * is waited for up to `waitMs`, then left and reported with the holder's pid. Only for locks
 * the caller knows no other git of its own can be taking now (resume, with the run lock held).
 * Where the system cannot tell who has a file open (no /proc), a lock is taken for a dead
 * git's. Impure (reads /proc, removes files, waits).
 */
export async function clearStaleLocks(files: readonly string[], o: { waitMs: number }): Promise<StaleLocks> {
  const removed: string[] = [];
  let left = [...files];
  const until = Date.now() + o.waitMs;
  while (left.length > 0) {
    const held: StaleLocks['held'] = [];
    // Read once a round: every process's open files.
    const open = readOpenFiles();
    for (const file of left) {
      const pid = openedBy(file, open)[0];
      if (pid !== undefined) held.push({ file, pid });
      else if (removeLock(file)) removed.push(file);
    }
    if (held.length === 0 || Date.now() >= until) return { removed, held };
    left = held.map((h) => h.file);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { removed, held: [] };
}

/** Removes the name (never through a link: unlink takes the link itself). False when it was gone already. Impure. */
function removeLock(file: string): boolean {
  try {
    unlinkSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
