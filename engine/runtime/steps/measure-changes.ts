import { listChangedFiles, diffStats } from '../../git/changes.js';
import { headSha } from '../../git/repo.js';
import type { RunContext } from '../context.js';

/**
 * The change of the current milestone: everything in the worktree that differs from the last
 * checkpoint (HEAD of the run's branch). Impure (git).
 */
export async function measureChanges(worktree: string): Promise<NonNullable<RunContext['changes']>> {
  const files = await listChangedFiles(worktree);
  const stats = await diffStats(worktree, await headSha(worktree));
  return {
    files: files.length,
    loc: stats.added + stats.removed,
    paths: files.map((f) => f.path),
    new_paths: files.filter((f) => f.status === 'added').map((f) => f.path),
    deleted_paths: files.filter((f) => f.status === 'deleted').map((f) => f.path),
  };
}
