import { packageRoot } from '../paths.js';
import type { KeptPlace } from '../sandbox/check-writable.js';

/** What the sandbox keeps read-only for a run (contract §5), named for messages. Pure. */
export function keptPlaces(repo: string, storeDir: string, workspacesRoot: string): KeptPlace[] {
  return [
    { path: repo, what: 'the repository' },
    { path: storeDir, what: 'the run store' },
    { path: packageRoot, what: "the engine's install" },
    { path: workspacesRoot, what: "the engine's workspaces" },
  ];
}
