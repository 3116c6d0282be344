import { EMPTY_TREE } from './repo.js';
import { runGit } from './run-git.js';
import { forgetSnapshot } from './snapshot.js';
import { neutralizeEngineGitDir, workspaceTarget, type Workspace } from './workspace.js';

/**
 * Puts the workspace's files back to `tree` (null: empty): files of the tree as recorded,
 * every other file the worker left removed, nested repositories included; ignored files (the
 * shared links among them) stay. The worker's own `.git` is not touched. Impure (git).
 */
export async function restoreWorkspace(ws: Workspace, tree: string | null): Promise<void> {
  forgetSnapshot(ws);
  neutralizeEngineGitDir(ws);
  const target = workspaceTarget(ws);
  await runGit(target, ['read-tree', '--reset', '-u', tree ?? EMPTY_TREE]);
  // -ff also removes nested repositories a worker may have created.
  await runGit(target, ['clean', '-ffdq']);
}
