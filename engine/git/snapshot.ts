import path from 'node:path';
import { GitError, gitText, runGit } from './run-git.js';
import { checkRecord, markNow, readIndex, smudgeIndex, walkWorkspace } from './stat-record.js';
import { neutralizeEngineGitDir, workspaceTarget, type Workspace } from './workspace.js';
import { IN_PROCESS_ENTRIES, writeTrees } from './write-tree.js';

/**
 * The tree id of everything in the workspace right now — tracked, changed and untracked
 * files, minus ignored ones — staged in the engine's own index (outside the workspace, so its
 * stat cache stays warm and nothing of the worker's `.git` is read). Whatever was planted in
 * the engine's git dir is removed first. `git add` stages; the engine writes the trees itself
 * when it can read the index (write-tree.ts). When a stat check finds the workspace exactly as the
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
  // Before git opens them: a FIFO at an ignore or attributes name would block it for ever.
  const walked = walkWorkspace(ws.dir);
  for (const rel of walked.special) ws.findings.push({ kind: 'special_file', path: rel });
  const walk = since === null ? null : walked.record;
  smudgeIndex(ws.gitDir, ws.dir, last?.since ?? null, check?.suspects ?? null);
  const target = workspaceTarget(ws);
  const left: string[] = [];
  for (;;) {
    try {
      await runGit(target, ['add', '--all', '--', '.', ...left.map((p) => `:(exclude,literal)${p}`)]);
      // The trees of an index the engine can read are written here (write-tree.ts); git's
      // write-tree rewrites the index (its cache of trees), so then it is read again.
      const staged = readIndex(ws.gitDir);
      const own = staged !== null && staged.entries.length <= IN_PROCESS_ENTRIES;
      const tree = own ? writeTrees(path.join(ws.gitDir, 'objects'), staged.entries, (ws.trees ??= new Set())) : await gitText(target, ['write-tree']);
      const index = walk && left.length === 0 ? (own ? staged : readIndex(ws.gitDir)) : null;
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
