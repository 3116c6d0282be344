import { engineCommand } from '../vocabulary/engine-command.js';
import { shellWord } from '../util/shell-quote.js';

/**
 * What `engine clean` removes: the workspaces of completed runs and orphans, and what an
 * interrupted removal left (whatever the run, whatever its age); those of runs
 * that can still be resumed (stopped, or left running by a crash: the work since their last
 * checkpoint is in the workspace alone) only when asked (`resumable`); never one a live
 * engine drives; with `olderThanDays`, only those not written for that long. Pure.
 */
export interface CleanCandidate {
  runId: string;
  workspace: string;
  /** The run's state, or null when no run record exists for the workspace (an orphan). */
  status: 'running' | 'completed' | 'stopped' | null;
  /** A live engine drives the run now. */
  locked: boolean;
  /** A completed run kept it: it holds changes no checkpoint took (state.json's workspace_kept). */
  kept?: boolean;
  /** For a stopped or crashed run: whether `engine resume` takes it (canResume); false for one that ended at a stop of its pipeline. */
  resumable?: boolean;
  /** When the run was last written (or the workspace last changed, for an orphan), ms since epoch. */
  updatedMs: number;
  /** The engine made it: its engine git dir beside it, a directory of its own, on the run's branch. Anything else is never removed. */
  engineMade: boolean;
  /** The run's branch as its record names it (null for an orphan, or a record that names none). */
  branch?: RunBranch | null;
  /** For status null: a state.json is there but cannot be read (cut short, damaged): not an orphan, a run whose record is lost. */
  unreadable?: boolean;
  /** Its removal began and did not end (a clean, or a run's end, killed partway: its mark is there): what is left is no run's to resume. */
  removing?: boolean;
}

/** A run's branch (`engine/<run-id>`), the commit it started from, and the repo it is in. */
export interface RunBranch {
  name: string;
  base: string;
  repo: string;
}

export interface CleanChoice {
  candidate: CleanCandidate;
  remove: boolean;
  /** Why it is removed or kept, in words. */
  reason: string;
}

export interface CleanOptions {
  /** Only runs not written for this many days; null: any age. */
  olderThanDays: number | null;
  /** Stopped and crashed runs too (they can no longer be resumed afterwards), and completed runs that kept changes no checkpoint took. */
  resumable?: boolean;
  nowMs: number;
}

export function planClean(candidates: readonly CleanCandidate[], o: CleanOptions): CleanChoice[] {
  return candidates.map((c) => {
    const old = o.olderThanDays === null || o.nowMs - c.updatedMs >= o.olderThanDays * 86_400_000;
    // Half removed, the engine git dir may be gone already: the mark says the engine began it.
    if (!c.engineMade && !c.removing) return { candidate: c, remove: false, reason: 'not a workspace the engine made (no engine git dir of its run beside it): left alone' };
    if (c.locked) return { candidate: c, remove: false, reason: 'being driven by a live engine' };
    if (c.removing) return { candidate: c, remove: true, reason: 'its removal was interrupted partway: what is left of it goes' };
    if (!old) return { candidate: c, remove: false, reason: `changed less than ${o.olderThanDays} day(s) ago` };
    // A record that is there but cannot be read is no orphan: its workspace may hold the only
    // copy of a stopped run's work since its last checkpoint (a review found it removed as one).
    if (c.status === null && c.unreadable && !o.resumable) return { candidate: c, remove: false, reason: "its run record (state.json) is there but cannot be read: the workspace may hold the run's work since its last checkpoint; --resumable removes it" };
    if (c.status === null && c.unreadable) return { candidate: c, remove: true, reason: 'its run record (state.json) cannot be read: removed with the work in it' };
    if (c.status === null) return { candidate: c, remove: true, reason: 'orphan: no run record in the store' };
    if (c.status === 'completed' && c.kept && !o.resumable) return { candidate: c, remove: false, reason: 'completed with changes no checkpoint took: they are only in this workspace; --resumable removes it' };
    if (c.status === 'completed' && c.kept) return { candidate: c, remove: true, reason: 'completed with changes no checkpoint took: removed with them' };
    if (c.status === 'completed') return { candidate: c, remove: true, reason: 'completed: its branch holds the result' };
    const kind = c.status === 'running' ? 'crashed' : 'stopped';
    if (c.resumable === false && !o.resumable) return { candidate: c, remove: false, reason: 'stopped at a stop of its pipeline: not resumable, but its workspace holds the work since the last checkpoint, to look at; --resumable removes it' };
    if (c.resumable === false) return { candidate: c, remove: true, reason: 'stopped at a stop of its pipeline: the work since its last checkpoint is removed with it' };
    if (!o.resumable) return { candidate: c, remove: false, reason: `${kind} run: resumable (${engineCommand(`resume ${shellWord(c.runId)}`)}); --resumable removes it` };
    return { candidate: c, remove: true, reason: `${kind} run: it can no longer be resumed (its branch keeps every checkpoint, not the work since the last)` };
  });
}
