/**
 * git would not make or move the run's branch, for a lock: its lock file stayed in the way (a
 * git holding it, one killed while it held it, a file put there), or git could not take it (a
 * folder made read-only). At a checkpoint through every retry, when the branch is where the
 * run left it (resume clears a lock no process holds open); as a run starts, before anything
 * of the run is kept (the user clears it and runs again).
 */
export class BranchLockedError extends Error {
  override name = 'BranchLockedError';
  constructor(
    readonly branch: string,
    /** The lock file in the way; null when there is none (git could not make it). */
    readonly lock: string | null,
    why: string,
    readonly at: 'checkpoint' | 'start' = 'checkpoint',
  ) {
    super(
      at === 'start'
        ? lock !== null
          ? `the run's branch ${branch} cannot be made: ${lock} is in the way (a git holding it, one killed while it held it, or a file put there); once no git is using it, remove it (rm '${lock}') and run again`
          : `git could not make the run's branch ${branch}: ${why}; put that right (a folder of the repository's refs made read-only?) and run again`
        : lock !== null
          ? `the run's branch ${branch} is locked: ${lock} stayed in the way of the checkpoint (a git holding it, one killed while it held it, or a file put there); once no git is using it, resume (resume removes a lock no process holds open)`
          : `git could not move the run's branch ${branch}: ${why}; put that right (a folder of the repository's refs made read-only?), then resume`,
    );
  }
}
