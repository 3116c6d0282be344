import { gitText, runGit } from './run-git.js';
import { workspaceTarget, type Workspace } from './workspace.js';

/**
 * The tree id of everything in the workspace right now — tracked, changed and untracked
 * files, minus ignored ones — staged in the engine's own index (outside the workspace, so its
 * stat cache stays warm and nothing of the worker's `.git` is read). Impure (git).
 */
export async function snapshotTree(ws: Workspace): Promise<string> {
  const target = workspaceTarget(ws);
  await runGit(target, ['add', '--all']);
  return gitText(target, ['write-tree']);
}
