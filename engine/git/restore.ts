import { runGit } from './run-git.js';

/**
 * Puts the worktree back to commit `sha`: branch, index and files as committed, and every
 * untracked file or directory the worker left removed (ignored files, such as installed
 * dependencies, stay). With null, back to the unborn state: no branch commit, empty index,
 * no untracked files. Impure (git, filesystem).
 */
export async function restoreWorktree(worktree: string, sha: string | null): Promise<void> {
  if (sha !== null) {
    await runGit(worktree, ['reset', '--hard', '--quiet', sha]);
  } else {
    // Drop the branch's commits (HEAD stays a symbolic ref to the now unborn branch).
    await runGit(worktree, ['update-ref', '-d', 'HEAD'], { okCodes: [1] });
    await runGit(worktree, ['read-tree', '--empty']);
  }
  // -ff also removes nested repositories a worker may have created.
  await runGit(worktree, ['clean', '-ffd', '--quiet']);
}
