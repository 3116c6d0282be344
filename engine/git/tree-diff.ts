import { runGit, type GitTarget } from './run-git.js';
import { parseNameStatus } from './changes.js';

/** Repo-relative paths that differ between two trees, sorted. Impure (git). */
export async function listChangedFilesBetween(target: GitTarget, from: string, to: string): Promise<string[]> {
  const { stdout } = await runGit(target, ['diff-tree', '-r', '-z', '--name-status', '--no-renames', from, to]);
  return parseNameStatus(stdout).map((f) => f.path).sort();
}
