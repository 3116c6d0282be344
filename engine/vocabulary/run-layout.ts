import path from 'node:path';

/**
 * The longest run id: the engine names files after an id, the longest `<id>.homes` beside its
 * workspace (and `<id>.lock` of its branch `refs/heads/engine/<id>`, its reflog `<id>`, the run
 * directory `<id>`), and a file name has at most 255 bytes. A longer id ended the run with
 * ENAMETOOLONG after it began, an internal error that every resume met again. The ids the
 * engine makes are 26 characters. Pure constant.
 */
export const MAX_RUN_ID_LENGTH = 255 - '.homes'.length;

/**
 * A run id as the engine makes and takes them (letters, digits, `. _ -`, not starting with a
 * dot): one path segment, a branch name's tail. Not ending in `.git` or `.homes`: beside a
 * run's workspace `<id>` are its engine git dir `<id>.git` and homes `<id>.homes`, which a run
 * of such an id would take for its workspace. Nor what git refuses in a branch name (`..`
 * anywhere, a last `.`, a last `.lock`): such an id was an internal error when its branch was
 * made. At most MAX_RUN_ID_LENGTH characters (all of them ASCII, so as many bytes). Pure.
 */
export function isRunId(id: string): boolean {
  return id.length <= MAX_RUN_ID_LENGTH && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id) && !/\.(git|homes|lock)$|\.$|\.\./.test(id);
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
