import { diffTrees, type TreeDiff } from '../git/changes.js';
import { EMPTY_TREE } from '../git/repo.js';
import { workspaceTarget } from '../git/workspace.js';
import type { Runtime } from './types.js';

const memo = new Map<string, Promise<TreeDiff>>();
const KEEP = 16;

/**
 * The diff of two trees of the run's workspace, asked of git once: governance, the change
 * measure and the checkpoint of one milestone mostly ask for the same pair (the last
 * checkpoint → the step's tree). Trees are immutable, so a remembered answer never goes
 * stale. Impure (git, once per pair).
 */
export function diffOf(rt: Runtime, from: string | null, to: string): Promise<TreeDiff> {
  const key = `${rt.ws.gitDir}\0${from ?? EMPTY_TREE}\0${to}`;
  let hit = memo.get(key);
  if (!hit) {
    hit = diffTrees(workspaceTarget(rt.ws), from, to);
    hit.catch(() => memo.delete(key));
    memo.set(key, hit);
    if (memo.size > KEEP) memo.delete(memo.keys().next().value!);
  }
  return hit;
}
