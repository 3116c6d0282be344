import { parseNameStatus, parseNumstat } from '../../git/changes.js';
import { EMPTY_TREE, headSha } from '../../git/repo.js';
import { snapshotTree } from '../../git/snapshot.js';
import { runGit } from '../../git/run-git.js';
import type { RunContext } from '../context.js';

export type Changes = NonNullable<RunContext['changes']>;

/**
 * The change of the current milestone: everything in the worktree that differs from the last
 * checkpoint (HEAD of the run's branch), measured on one snapshot of the worktree, whose tree
 * is returned too (the loop records it as the state after the step). Impure (git).
 */
export async function measureChanges(worktree: string): Promise<{ changes: Changes; tree: string }> {
  const tree = await snapshotTree(worktree);
  const base = (await headSha(worktree)) ?? EMPTY_TREE;
  const [names, nums] = await Promise.all([
    runGit(worktree, ['diff-tree', '-r', '-z', '--name-status', '-M', base, tree]),
    runGit(worktree, ['diff-tree', '-r', '-z', '--numstat', '--no-renames', base, tree]),
  ]);
  const files = parseNameStatus(names.stdout).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const stats = parseNumstat(nums.stdout);
  return {
    tree,
    changes: {
      files: files.length,
      loc: stats.added + stats.removed,
      paths: files.map((f) => f.path),
      new_paths: files.filter((f) => f.status === 'added').map((f) => f.path),
      deleted_paths: files.filter((f) => f.status === 'deleted').map((f) => f.path),
    },
  };
}
