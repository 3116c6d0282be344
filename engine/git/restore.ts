import { pinDirectory, type PinnedDirectory } from '../util/pin-directory.js';
import { EMPTY_TREE } from './repo.js';
import { GitError, runGit } from './run-git.js';
import { forgetSnapshot } from './snapshot.js';
import { neutralizeEngineGitDir, workspaceTarget, type Workspace } from './workspace.js';

/**
 * Puts the workspace's files back to `tree` (null: empty): files of the tree as recorded,
 * every other file the worker left removed, nested repositories included; ignored files (the
 * shared links among them) stay. The worker's own `.git` is not touched.
 *
 * The only git commands that write and remove files in a work tree, so they get the
 * workspace pinned (pinDirectory): without the OS sandbox a process a worker left running
 * could put a link in its place between the engine's look and git's start, and git then
 * wrote the tree into, and cleaned, the directory the link names (the user's checkout, in a
 * hostile probe). A workspace that is already a link, or no directory, is refused with a
 * GitError (the caller's rollback reports it undone). Impure (git).
 */
export async function restoreWorkspace(ws: Workspace, tree: string | null): Promise<void> {
  forgetSnapshot(ws);
  neutralizeEngineGitDir(ws);
  const pinned = pinWorkspace(ws);
  try {
    const target = { ...workspaceTarget(ws), workTree: pinned.path };
    await runGit(target, ['read-tree', '--reset', '-u', tree ?? EMPTY_TREE]);
    // -ff also removes nested repositories a worker may have created.
    await runGit(target, ['clean', '-ffdq']);
  } finally {
    pinned.close();
  }
}

function pinWorkspace(ws: Workspace): PinnedDirectory {
  try {
    return pinDirectory(ws.dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const why = `the workspace ${ws.dir} is no longer the directory the engine made (${code === 'ELOOP' ? 'a link is there' : code === 'ENOENT' ? 'it is gone' : code === 'ENOTDIR' ? 'no directory is there' : code}): nothing was restored through it`;
    throw new GitError(why, ['read-tree'], undefined, why);
  }
}
