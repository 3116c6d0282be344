import { runGit, type GitTarget } from './run-git.js';
import { shellWord } from '../util/shell-quote.js';

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

/**
 * What to tell of a branch `blocking` in the repository `repo` that leaves no room for the
 * run's `branch`, and the rename that makes room (one a user can run from any folder): said
 * when a new run cannot make its branch and when a resume finds one in the way. Pure.
 */
export function describeBlockingBranch(blocking: string, repo: string, branch: string): string {
  return `the branch ${blocking} in ${repo} is in the way of the run's branch ${branch} (git cannot have both a branch and a folder of that name): rename it (git -C ${shellWord(repo)} branch -m ${shellWord(blocking)} <new-name>)`;
}
