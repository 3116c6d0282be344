import { packageRoot } from '../paths.js';
import type { KeptPlace } from '../sandbox/check-writable.js';

/**
 * What the sandbox keeps read-only for a run (contract §5), named for messages; `gitDirs`:
 * the checkout's git dir and common dir, which a linked worktree or a submodule keeps outside
 * it (hooks and config there run on the user's next git command). Pure.
 */
export function keptPlaces(repo: string, storeDir: string, workspacesRoot: string, gitDirs: readonly string[] = []): KeptPlace[] {
  return [
    { path: repo, what: 'the repository' },
    // A plain repository's git dir is its common dir too: one place, said once.
    ...[...new Set(gitDirs)].map((p) => ({ path: p, what: "the repository's git dir" })),
    { path: storeDir, what: 'the run store' },
    { path: packageRoot, what: "the engine's install" },
    { path: workspacesRoot, what: "the engine's workspaces" },
  ];
}
