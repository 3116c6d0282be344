import type { ChildProcess } from 'node:child_process';

/**
 * The process groups the engine started and that have not exited yet: every child it starts
 * leads a group of its own (detached, out of the terminal's), so a terminal's Ctrl-C reaches
 * none of them and the engine decides what ends. When the user asks it to stop at once (a
 * second interrupt), these are what it ends before it exits (cli/commands/run-output.ts).
 */
const live = new Set<number>();

/**
 * Counts `child`'s group as live until the child has exited and its output closed (what it
 * left holding that output keeps the group alive). Impure (module state).
 */
export function trackGroup(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  live.add(pid);
  child.once('close', () => live.delete(pid));
}

/** The groups started whose leader has not been seen to end (leaders' pids, a copy). */
export function liveGroups(): number[] {
  return [...live];
}
