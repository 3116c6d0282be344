import { mkdir, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { GitError, gitText, runGit } from './run-git.js';

/** The id of git's empty tree, the base for diffs in a repo without commits. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/**
 * The top directory of the working tree that contains `dir` (a main checkout or a linked
 * worktree). Throws a clear error when `dir` is not inside a git working tree (including a
 * bare repository). Impure (runs git).
 */
export async function findRepoRoot(dir: string): Promise<string> {
  let top: string;
  try {
    top = await gitText(dir, ['rev-parse', '--show-toplevel']);
  } catch (error) {
    const why = error instanceof GitError ? error.stderr.split('\n').pop() : String(error);
    throw new Error(`${dir} is not a git repository (${why}); run \`git init\` there or pass another --repo`);
  }
  if (top === '') throw new Error(`${dir} is a bare git repository; the engine needs a working tree`);
  return realpath(top);
}

/** The commit HEAD points at, or null on an unborn branch (no commit yet). Impure. */
export async function headSha(worktree: string): Promise<string | null> {
  const { stdout, exitCode } = await runGit(worktree, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { okCodes: [1] });
  return exitCode === 0 ? stdout.trim() : null;
}

/** The tree id of a commit (what determinism checks compare across repeats). Impure. */
export async function treeHash(repo: string, sha: string): Promise<string> {
  return gitText(repo, ['rev-parse', '--verify', `${sha}^{tree}`]);
}

/**
 * Resolves a path git prints relative to `cwd` (e.g. from `--git-path`) into an absolute
 * one. Pure.
 */
export function resolveGitPath(cwd: string, printed: string): string {
  return path.resolve(cwd, printed);
}

/**
 * Makes `dir` a git repository when it is not one: creates the directory and runs
 * `git init` (used for greenfield scratch repos). A directory that already is the top of a
 * repository is left alone; a non-empty directory that is not one is refused rather than
 * adopted. Resolves with whether a repository was created. Impure.
 */
export async function ensureGitRepo(dir: string): Promise<{ created: boolean; root: string }> {
  await mkdir(dir, { recursive: true });
  const real = await realpath(dir);
  const { stdout, exitCode } = await runGit(real, ['rev-parse', '--show-toplevel'], { okCodes: [128] });
  if (exitCode === 0 && stdout.trim() !== '' && (await realpath(stdout.trim())) === real) {
    return { created: false, root: real };
  }
  const entries = await readdir(real);
  if (entries.length > 0) {
    throw new Error(`${dir} is not empty and not the top of a git repository; refusing to run \`git init\` in it`);
  }
  await runGit(real, ['-c', 'init.defaultBranch=main', 'init', '--quiet']);
  return { created: true, root: real };
}
