import path from 'node:path';

/**
 * A run id as the engine makes and takes them (letters, digits, `. _ -`, not starting with a
 * dot): one path segment, a branch name's tail. Not ending in `.git` or `.homes`: beside a
 * run's workspace `<id>` are its engine git dir `<id>.git` and homes `<id>.homes`, which a run
 * of such an id would take for its workspace. Nor what git refuses in a branch name (`..`
 * anywhere, a last `.`, a last `.lock`): such an id was an internal error when its branch was
 * made. Pure.
 */
export function isRunId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id) && !/\.(git|homes|lock)$|\.$|\.\./.test(id);
}

/** Where each record of a run lives (contract §5). Pure. */
export function runPaths(runDir: string) {
  return {
    dir: runDir,
    state: path.join(runDir, 'state.json'),
    timeline: path.join(runDir, 'timeline.jsonl'),
    summary: path.join(runDir, 'summary.md'),
    env: path.join(runDir, 'env.json'),
    memo: path.join(runDir, 'memo.md'),
    attemptedPatch: path.join(runDir, 'attempted.patch'),
    calls: path.join(runDir, 'calls'),
    verify: path.join(runDir, 'verify'),
    lock: path.join(runDir, 'run.lock'),
  };
}

export type RunPaths = ReturnType<typeof runPaths>;

/** The default run store of a repo. Pure. */
export function defaultStoreDir(repo: string): string {
  return path.join(repo, '.engine', 'runs');
}
