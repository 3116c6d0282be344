import { runGit } from '../git/run-git.js';
import { restoreWorktree } from '../git/restore.js';

/**
 * Put the worktree back exactly to a persisted state: the branch at `head` (null: unborn) and
 * the files of `tree` (the snapshot taken after the last finished step), with the index at
 * `head` so later checkpoints see the same change the worker made. Impure (git).
 */
export async function restoreWorktreeState(worktree: string, head: string | null, tree: string | null): Promise<void> {
  await restoreWorktree(worktree, head);
  if (tree === null) return;
  await runGit(worktree, ['read-tree', '--reset', '-u', tree]);
  if (head !== null) await runGit(worktree, ['read-tree', head]);
  else await runGit(worktree, ['read-tree', '--empty']);
}
