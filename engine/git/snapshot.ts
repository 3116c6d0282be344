import { GitError, gitText, runGit } from './run-git.js';
import { neutralizeEngineGitDir, workspaceTarget, type Workspace } from './workspace.js';

/**
 * The tree id of everything in the workspace right now — tracked, changed and untracked
 * files, minus ignored ones — staged in the engine's own index (outside the workspace, so its
 * stat cache stays warm and nothing of the worker's `.git` is read). Whatever was planted in
 * the engine's git dir is removed first. A nested repository without a commit, which git
 * cannot stage, is left out and recorded as a gitlink finding. Impure (git).
 */
export async function snapshotTree(ws: Workspace): Promise<string> {
  neutralizeEngineGitDir(ws);
  const target = workspaceTarget(ws);
  const left: string[] = [];
  for (;;) {
    try {
      await runGit(target, ['add', '--all', '--', '.', ...left.map((p) => `:(exclude,literal)${p}`)]);
      return await gitText(target, ['write-tree']);
    } catch (error) {
      const nested = error instanceof GitError ? /'(.+?)\/?' does not have a commit checked out/.exec(error.stderr) : null;
      if (!nested || left.includes(nested[1]!) || left.length >= 100) throw error;
      left.push(nested[1]!);
      ws.findings.push({ kind: 'gitlink', path: nested[1]! });
    }
  }
}
