import { copyFile, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { resolveGitPath } from './repo.js';
import { gitText, runGit } from './run-git.js';

/**
 * The tree id of everything in the worktree right now — tracked, changed and untracked files,
 * minus ignored ones — built in a throwaway index so the worktree's own index is not touched.
 * Writes blob and tree objects (harmless, shared object store). Impure.
 */
export async function snapshotTree(worktree: string): Promise<string> {
  const { gitDir, realIndex } = await gitPathsOf(worktree);
  const tempIndex = `${gitDir}/engine-snapshot-${process.pid}-${randomBytes(4).toString('hex')}.index`;
  // Starting from a copy of the real index lets git reuse its file stat cache.
  await copyFile(realIndex, tempIndex).catch(() => undefined);
  try {
    const env = { GIT_INDEX_FILE: tempIndex };
    await runGit(worktree, ['add', '--all'], { env });
    return await gitText(worktree, ['write-tree'], { env });
  } finally {
    await rm(tempIndex, { force: true });
    await rm(`${tempIndex}.lock`, { force: true });
  }
}

const pathsCache = new Map<string, Promise<{ gitDir: string; realIndex: string }>>();

/** The git dir and index file of a worktree; they never move, so each is asked once. */
function gitPathsOf(worktree: string): Promise<{ gitDir: string; realIndex: string }> {
  let p = pathsCache.get(worktree);
  if (!p) {
    p = (async () => ({
      gitDir: resolveGitPath(worktree, await gitText(worktree, ['rev-parse', '--git-dir'])),
      realIndex: resolveGitPath(worktree, await gitText(worktree, ['rev-parse', '--git-path', 'index'])),
    }))();
    p.catch(() => pathsCache.delete(worktree));
    pathsCache.set(worktree, p);
  }
  return p;
}
