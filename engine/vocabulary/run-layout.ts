import path from 'node:path';

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
    homes: path.join(runDir, 'homes'),
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
