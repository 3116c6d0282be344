import type { GitIdentity } from './identity.js';
import { commitEnv } from './identity.js';
import { headSha } from './repo.js';
import { gitText, retryOnLock, runGit } from './run-git.js';

export interface CreateCheckpointOptions {
  worktree: string;
  /** Commit message; carries the run id and milestone (the caller writes it). */
  message: string;
  /** Author and committer both. */
  author: GitIdentity;
  /** Author and committer date both (whole seconds, UTC). */
  date: Date;
}

export interface Checkpoint {
  sha: string;
  tree: string;
}

/**
 * Commits everything in the worktree (tracked, changed, deleted and untracked files; ignored
 * ones excepted) on the run's branch, or resolves null when nothing differs from HEAD. Made
 * with plumbing (`add`, `write-tree`, `commit-tree`, `update-ref`) under `core.hooksPath` =
 * an empty dir and no signing, so no hook or filter a worker wrote runs; the same tree,
 * parent, message, identity and date give the same commit id. On an unborn branch the
 * commit is the branch's root. Impure (git).
 */
export async function createCheckpoint(options: CreateCheckpointOptions): Promise<Checkpoint | null> {
  const { worktree } = options;
  return retryOnLock(async () => {
    const parent = await headSha(worktree);
    await runGit(worktree, ['add', '--all']);
    const tree = await gitText(worktree, ['write-tree']);
    if (parent !== null && tree === (await gitText(worktree, ['rev-parse', `${parent}^{tree}`]))) return null;
    if (parent === null && (await gitText(worktree, ['ls-files', '--cached', '-z'])) === '') return null;
    const args = ['commit-tree', '--no-gpg-sign', tree, ...(parent ? ['-p', parent] : []), '-F', '-'];
    const sha = await gitText(worktree, args, {
      env: commitEnv(options.author, options.date),
      input: normalizeMessage(options.message),
    });
    // The old value guards against a concurrent move of the branch: it must be where we read it.
    await runGit(worktree, ['update-ref', '-m', `engine: checkpoint`, 'HEAD', sha, parent ?? '']);
    return { sha, tree };
  });
}

/** A commit message with exactly one trailing newline and no trailing blanks on lines. Pure. */
export function normalizeMessage(message: string): string {
  const body = message.replace(/\r\n?/g, '\n').split('\n').map((l) => l.replace(/\s+$/, '')).join('\n').trim();
  return `${body || 'engine checkpoint'}\n`;
}
