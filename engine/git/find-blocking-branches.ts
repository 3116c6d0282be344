import { runGit, type GitTarget } from './run-git.js';

/**
 * The branches whose names are in the way of `branch` (git keeps refs as files: a branch
 * `engine` leaves no room for a folder `engine/`, nor a branch `engine/<id>/x` for a file
 * `engine/<id>`), the same that make git refuse to create it. One git process. Impure.
 */
export async function findBlockingBranches(target: GitTarget, branch: string): Promise<string[]> {
  const parts = branch.split('/');
  const above = parts.slice(0, -1).map((_, i) => `refs/heads/${parts.slice(0, i + 1).join('/')}`);
  // Each pattern matches the ref itself and every ref below it: those are filtered here.
  const { stdout } = await runGit(target, ['for-each-ref', '--format=%(refname)', ...above, `refs/heads/${branch}/`]);
  return stdout
    .split('\n')
    .filter((ref) => above.includes(ref) || ref.startsWith(`refs/heads/${branch}/`))
    .map((ref) => ref.slice('refs/heads/'.length));
}
