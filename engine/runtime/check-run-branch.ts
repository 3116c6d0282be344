import type { Violation } from '../governance/check-changes.js';
import { runBranchMoved, runBranchRef, sayRunBranchMoved } from '../git/run-branch.js';
import type { Runtime } from './types.js';

export interface MovedBranch {
  /** The `user_repo` violation naming the branch's ref. */
  violation: Violation;
  /** Where the branch is and how to put it back, for the stop's detail and a refusal. */
  detail: string;
}

/**
 * The run's branch against the commit the run last wrote there (`state.head_sha`: the base,
 * then each checkpoint): null when it is there, else the violation and what to do. The watch
 * of the user's refs leaves `refs/heads/engine/` out (the engine moves its branch at each
 * checkpoint; other runs move theirs), so this is what finds a process of the run moving it —
 * after every step, where the run ends and as it resumes. Impure (reads the user's refs).
 */
export function checkRunBranch(rt: Pick<Runtime, 'ws' | 'state'>): MovedBranch | null {
  const expected = rt.state.head_sha;
  const found = runBranchMoved(rt.ws, expected);
  if (found === null) return null;
  return { violation: { path: runBranchRef(rt.ws), rule: 'user_repo', pattern: null }, detail: sayRunBranchMoved(rt.ws, expected, found) };
}
