import { GitError, gitText, runGit } from './run-git.js';
import { checkRecord, markNow, readIndex, smudgeIndex, walkWorkspace } from './stat-record.js';
import { neutralizeEngineGitDir, workspaceTarget, type Workspace } from './workspace.js';

/**
 * The tree id of everything in the workspace right now — tracked, changed and untracked
 * files, minus ignored ones — staged in the engine's own index (outside the workspace, so its
 * stat cache stays warm and nothing of the worker's `.git` is read). Whatever was planted in
 * the engine's git dir is removed first. When a stat check finds the workspace exactly as the
 * last snapshot left it (stat-record.ts), that snapshot's tree is the answer and no git runs.
 * A nested repository without a commit, which git cannot stage, is left out and recorded as a
 * gitlink finding. Impure (git).
 */
export async function snapshotTree(ws: Workspace): Promise<string> {
  const found = ws.findings.length;
  neutralizeEngineGitDir(ws);
  const last = ws.snapshot;
  ws.snapshot = undefined;
  const check = last ? checkRecord(last, ws.dir, ws.gitDir) : null;
  if (last && check?.unchanged && ws.findings.length === found) {
    ws.snapshot = last;
    return last.tree;
  }
  // Taken before git looks: whatever changes from here on differs from the record, or is racy.
  const { since, planted } = markNow(ws.gitDir);
  if (planted) ws.findings.push({ kind: 'engine_git', path: planted });
  const walk = since === null ? null : walkWorkspace(ws.dir);
  smudgeIndex(ws.gitDir, ws.dir, last?.since ?? null, check?.suspects ?? null);
  const target = workspaceTarget(ws);
  const left: string[] = [];
  for (;;) {
    try {
      await runGit(target, ['add', '--all', '--', '.', ...left.map((p) => `:(exclude,literal)${p}`)]);
      const tree = await gitText(target, ['write-tree']);
      const index = walk && left.length === 0 ? readIndex(ws.gitDir) : null;
      if (index && since !== null && walk) ws.snapshot = { tree, since, ...index, ...walk };
      return tree;
    } catch (error) {
      const nested = error instanceof GitError ? /'(.+?)\/?' does not have a commit checked out/.exec(error.stderr) : null;
      if (!nested || left.includes(nested[1]!) || left.length >= 100) throw error;
      left.push(nested[1]!);
      ws.findings.push({ kind: 'gitlink', path: nested[1]! });
    }
  }
}

/** Forget what the last snapshot recorded (the engine is about to rewrite the workspace). */
export function forgetSnapshot(ws: Workspace): void {
  ws.snapshot = undefined;
}
