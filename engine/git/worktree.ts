import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { commitEnv, DEFAULT_IDENTITY } from './identity.js';
import { EMPTY_TREE, findRepoRoot, headSha, resolveGitPath } from './repo.js';
import { gitText, retryOnLock, runGit } from './run-git.js';

export interface CreateRunWorktreeOptions {
  /** The user's repository (any directory inside its working tree). */
  repo: string;
  runId: string;
  /** Default `engine/<runId>`. */
  branch?: string;
  /** Default `<repo top>/.engine/worktrees`; the worktree is `<worktreesDir>/<runId>`. */
  worktreesDir?: string;
}

export interface RunWorktree {
  worktree: string;
  branch: string;
  /** The commit the branch starts from; null for an orphan branch in a repo without commits. */
  baseSha: string | null;
  /** The user's tree had uncommitted or untracked changes; they are not part of the run. */
  dirtyUserTree: boolean;
}

/**
 * Creates the run's own worktree on a new branch from the repo's HEAD (detached HEADs
 * included). In a repo without commits the branch is unborn (orphan): the worktree and its
 * index start empty and the first checkpoint becomes the branch's root commit. Adds `.engine/`
 * to the repo's `info/exclude`. Never changes the user's HEAD, index or working files.
 * Throws for a path that is not a git working tree or a branch that already exists.
 * Impure (git, filesystem).
 */
export async function createRunWorktree(options: CreateRunWorktreeOptions): Promise<RunWorktree> {
  const root = await findRepoRoot(options.repo);
  const branch = options.branch ?? `engine/${options.runId}`;
  const worktree = path.resolve(options.worktreesDir ?? path.join(root, '.engine', 'worktrees'), options.runId);
  await gitText(root, ['check-ref-format', '--branch', branch]);
  if (await branchExists(root, branch)) throw new Error(`branch ${branch} already exists in ${root}`);

  await excludeEngineDir(root);
  const dirtyUserTree = await isTreeDirty(root);
  const baseSha = await headSha(root);
  await mkdir(path.dirname(worktree), { recursive: true });

  if (baseSha !== null) {
    // The ref first, create-only (a concurrent run taking the same name fails here), then the
    // worktree on it; a worktree that cannot be added takes its new branch with it.
    await retryOnLock(() => runGit(root, ['update-ref', '-m', 'engine: run branch', `refs/heads/${branch}`, baseSha, '']));
    try {
      await retryOnLock(() => runGit(root, ['worktree', 'add', '--quiet', worktree, branch]));
    } catch (error) {
      await runGit(root, ['update-ref', '-d', `refs/heads/${branch}`, baseSha], { okCodes: [1, 128] });
      throw error;
    }
  } else {
    await addOrphanWorktree(root, worktree, branch);
  }
  return { worktree, branch, baseSha, dirtyUserTree };
}

/**
 * Removes a run's worktree (whatever it holds) and, unless told otherwise, its branch.
 * Used by cleanup and tests; a worktree already gone is not an error. Impure.
 */
export async function removeRunWorktree(options: { repo: string; worktree: string; branch?: string | null }): Promise<void> {
  const root = await findRepoRoot(options.repo);
  await retryOnLock(() => runGit(root, ['worktree', 'remove', '--force', '--force', options.worktree], { okCodes: [128] }));
  await rm(options.worktree, { recursive: true, force: true });
  await retryOnLock(() => runGit(root, ['worktree', 'prune']));
  if (options.branch) {
    await retryOnLock(() => runGit(root, ['branch', '-D', '--quiet', options.branch!], { okCodes: [1] }));
  }
}

/** The command the summary shows for taking a run's work into the user's branch. Pure. */
export function mergeHint(branch: string): string {
  return `git merge ${branch}`;
}

/**
 * Ensures `.engine/` is listed in the repo's `info/exclude` (shared by all its worktrees),
 * so the run store and worktrees never show up as untracked files. Impure.
 */
export async function excludeEngineDir(root: string): Promise<void> {
  const file = resolveGitPath(root, await gitText(root, ['rev-parse', '--git-path', 'info/exclude']));
  const current = await readFile(file, 'utf8').catch(() => '');
  const lines = current.split(/\r?\n/).map((l) => l.trim());
  if (lines.some((l) => l === '.engine/' || l === '/.engine/' || l === '.engine' || l === '/.engine')) return;
  await mkdir(path.dirname(file), { recursive: true });
  const sep = current === '' || current.endsWith('\n') ? '' : '\n';
  await appendFile(file, `${sep}# engine: run store and run worktrees\n/.engine/\n`);
}

async function branchExists(root: string, branch: string): Promise<boolean> {
  const { exitCode } = await runGit(root, ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`], { okCodes: [1] });
  return exitCode === 0;
}

async function isTreeDirty(root: string): Promise<boolean> {
  // GIT_OPTIONAL_LOCKS=0 (set by runGit) keeps status from rewriting the user's index.
  const { stdout } = await runGit(root, ['status', '--porcelain=v1', '-z', '--untracked-files=normal', '--ignore-submodules=none']);
  return stdout.length > 0;
}

// git 2.39 has no `worktree add --orphan` (2.42). Instead: check out a throwaway commit of the
// empty tree, detached, then point the new worktree's own HEAD at the unborn branch. The
// throwaway commit is on no ref (git collects it later); the user's HEAD is never involved.
async function addOrphanWorktree(root: string, worktree: string, branch: string): Promise<void> {
  await gitText(root, ['mktree'], { input: '' });
  const scaffold = await gitText(root, ['commit-tree', '--no-gpg-sign', EMPTY_TREE, '-m', 'engine: empty scaffold'], {
    env: commitEnv(DEFAULT_IDENTITY, new Date(0)),
  });
  await retryOnLock(() => runGit(root, ['worktree', 'add', '--quiet', '--detach', worktree, scaffold]));
  await runGit(worktree, ['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
  await runGit(worktree, ['read-tree', '--empty']);
}
