import { runGit } from '../git/run-git.js';
import { EMPTY_TREE } from '../git/repo.js';
import { workspaceTarget } from '../git/workspace.js';
import type { Runtime } from './types.js';

const memo = new Map<string, Promise<string[]>>();
const KEEP = 4;

/**
 * The paths of the files in a tree of the run's workspace, asked of git once per tree: the
 * explore and plan prompts of one run list the same tree (explore is read-only), and the
 * empty tree of a new repo needs no git at all. Trees are immutable, so a remembered answer
 * never goes stale. Impure (git, once per tree).
 */
export function filesOf(rt: Runtime, tree: string): Promise<string[]> {
  if (tree === EMPTY_TREE) return Promise.resolve([]);
  const key = `${rt.ws.gitDir}\0${tree}`;
  let hit = memo.get(key);
  if (!hit) {
    hit = runGit(workspaceTarget(rt.ws), ['ls-tree', '-r', '-z', '--name-only', tree]).then((r) => r.stdout.split('\0').filter(Boolean));
    hit.catch(() => memo.delete(key));
    memo.set(key, hit);
    if (memo.size > KEEP) memo.delete(memo.keys().next().value!);
  }
  return hit;
}
