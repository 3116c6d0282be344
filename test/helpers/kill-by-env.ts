import { readdirSync, readFileSync } from 'node:fs';

/**
 * Kills (SIGKILL) every process whose environment holds `entry` (`NAME=value`), until none is
 * left; returns how many it killed. For tests whose hostile workers leave processes behind
 * without a sandbox (setsid, a double fork): nothing else can find them once they are
 * reparented, and a polling one would burn CPU under the rest of the suite until its loop ends.
 * Linux only (reads /proc/PID/environ; a process of another user is skipped).
 */
export function killByEnv(entry: string): number {
  let killed = 0;
  for (let round = 0; round < 10; round++) {
    const pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid && environOf(n).includes(entry));
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
        killed++;
      } catch {
        // Gone already.
      }
    }
  }
  return killed;
}

function environOf(pid: string): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return [];
  }
}
