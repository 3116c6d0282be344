import { statSync } from 'node:fs';
import type { RunState } from '../generated/state.js';
import { locateRepo } from '../git/repo.js';
import type { GitTarget } from '../git/run-git.js';
import { findMissingObjects, type WantedObject } from '../git/find-missing-objects.js';
import { describeBlockingBranch, findBlockingBranches } from '../git/find-blocking-branches.js';
import { resolveLinks } from '../util/resolve-links.js';

/**
 * Whether the repository the run was started in is still where state.json says, and still a
 * repository's top. The run's workspace, its branch and its commits belong to it: a
 * repository moved since is not followed (the workspace's folder, its object alternates and
 * `engine clean` are all found from that path). Returns what is wrong and what to do, or null.
 * Impure (runs git once).
 */
export async function checkRunRepo(state: Pick<RunState, 'repo'>): Promise<string | null> {
  const back = `the run's workspace, branch and commits belong to that repository: put it back there to resume the run, or start a new run where it is now`;
  if (!statSync(state.repo, { throwIfNoEntry: false })?.isDirectory()) return `the run's repository ${state.repo} is not there any more (moved or removed); ${back}`;
  let top: string;
  try {
    top = (await locateRepo(state.repo)).top;
  } catch (error) {
    return `the run's repository ${state.repo} is no git repository any more (${(error as Error).message}); ${back}`;
  }
  if (top !== resolveLinks(state.repo)) return `the run's repository ${state.repo} is no repository's top any more (it is inside ${top}); ${back}`;
  return null;
}

/**
 * The run's commits and persisted tree, read through the run's own git dir (which reads the
 * repository's objects too): a base commit pruned by `git gc` after its branch was deleted, or
 * an id written into state.json by hand, cannot be restored or built on. Returns what is
 * wrong, or null. Impure (runs git once).
 */
export async function checkRunCommits(state: Pick<RunState, 'base_sha' | 'head_sha' | 'workspace_tree' | 'repo'>, target: GitTarget): Promise<string | null> {
  const wanted: WantedObject[] = [];
  if (state.base_sha !== null) wanted.push({ name: 'base commit (base_sha)', id: state.base_sha, type: 'commit' });
  if (state.head_sha !== null) wanted.push({ name: 'last checkpoint (head_sha)', id: state.head_sha, type: 'commit' });
  if (state.workspace_tree !== null) wanted.push({ name: 'persisted workspace tree (workspace_tree)', id: state.workspace_tree, type: 'tree' });
  const missing = await findMissingObjects(target, wanted);
  if (missing.length === 0) return null;
  const which = missing.map((w) => `its ${w.name} ${JSON.stringify(w.id)}`).join(', ');
  return `the run's commits are gone from the repository ${state.repo}: ${which} ${missing.length > 1 ? 'are' : 'is'} not there (a branch deleted and \`git gc\` run since, or state.json edited); the run cannot be restored, start a new run`;
}

/**
 * No branch in the way of the run's: a branch `engine` made since the run stopped leaves git
 * no room for `engine/<run-id>`, and a new run is refused the same way. Returns what is wrong
 * and what to do, or null. Impure (runs git once).
 */
export async function checkBranchInTheWay(state: Pick<RunState, 'branch' | 'repo'>, repo: GitTarget): Promise<string | null> {
  const [blocking] = await findBlockingBranches(repo, state.branch);
  if (blocking === undefined) return null;
  return `${describeBlockingBranch(blocking, state.repo, state.branch)}, then resume`;
}
