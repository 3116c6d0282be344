/**
 * `workspace.share` globs that would share nothing: each matches git-ignored paths of the
 * checkout only (a misspelt `node_module`, a tracked `src/`, dependencies not installed yet),
 * and a run then links nothing for it, silently but for a note at its start. Impure (runs git).
 */
import { describeUnmatchedShares, ignoredPathsOf, matchShared, unmatchedShares } from '../git/workspace.js';
import { GitError, type GitTarget } from '../git/run-git.js';
import { finding, type Finding } from './types.js';

/** `workspace.share`: null (nothing to say) unless the policy names globs; warn for those that match nothing. */
export async function checkWorkspaceShare(share: readonly string[] | null, target: GitTarget): Promise<Finding | null> {
  if (share === null || share.length === 0) return null;
  // What a run's workspace is made from: the checkout's ignored paths, as createWorkspace lists them.
  let ignored: string[];
  try {
    ignored = await ignoredPathsOf(target);
  } catch (error) {
    // The repo check has said what is wrong with the repository.
    if (error instanceof GitError) return null;
    throw error;
  }
  const unmatched = unmatchedShares(ignored, share);
  if (unmatched.length === 0) {
    const shared = matchShared(ignored, share);
    return finding('workspace.share', 'ok', `each workspace.share glob matches git-ignored paths of the checkout: ${shared.slice(0, 5).join(', ')}${shared.length > 5 ? ', …' : ''}`);
  }
  return finding('workspace.share', 'warn', describeUnmatchedShares(unmatched), 'correct the glob, install what it names in the checkout first (e.g. `npm install`), or remove it; only git-ignored paths are shared');
}
