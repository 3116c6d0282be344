import { snapshotTree } from '../../git/snapshot.js';
import { diffOf } from '../tree-diffs.js';
import type { RunContext } from '../../vocabulary/run-context.js';
import type { Runtime } from '../types.js';

export type Changes = NonNullable<RunContext['changes']>;

/**
 * The change of the current milestone: everything in the workspace that differs from the
 * last checkpoint (the run branch's commit), measured on `tree` (a snapshot the step already
 * took; null takes one now), which is returned too (the loop records it as the state after
 * the step). Impure (git).
 */
export async function measureChanges(rt: Runtime, tree: string | null): Promise<{ changes: Changes; tree: string }> {
  const now = tree ?? (await snapshotTree(rt.ws));
  const { files, stats } = await diffOf(rt, rt.headTree, now);
  return {
    tree: now,
    changes: {
      files: files.length,
      loc: stats.added + stats.removed,
      paths: files.map((f) => f.path),
      new_paths: files.filter((f) => f.status === 'added').map((f) => f.path),
      deleted_paths: files.filter((f) => f.status === 'deleted').map((f) => f.path),
    },
  };
}
