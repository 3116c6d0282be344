import path from 'node:path';
import type { RunState } from '../generated/state.js';
import { isWithin } from '../util/is-within.js';
import { resolveLinks } from '../util/resolve-links.js';

/**
 * Where state.json says a run lives, against what the engine makes (contract §5): the run id
 * is its directory's name, its branch `engine/<run id>`, its workspace a directory named after
 * the run, outside the user's repository and not around it. A worker without the OS sandbox
 * can rewrite state.json once the engine has exited; trusted, a branch of `main` made the
 * resumed run's checkpoint move the user's branch, and a workspace in the repo would have had
 * the engine's restore clean the user's checkout. Returns what is wrong, or null. Impure
 * (resolves links of the paths that exist).
 */
export function checkRunPlaces(state: Pick<RunState, 'run_id' | 'branch' | 'workspace' | 'repo'>, runDir: string): string | null {
  const id = path.basename(runDir);
  if (state.run_id !== id) return `state.json names run ${String(state.run_id)}, but its directory is ${id}`;
  if (state.branch !== `engine/${id}`) return `state.json names the branch ${String(state.branch)}, not the run's own engine/${id}`;
  if (typeof state.repo !== 'string' || !path.isAbsolute(state.repo)) return `state.json names no absolute path of the repository (${String(state.repo)})`;
  if (typeof state.workspace !== 'string' || !path.isAbsolute(state.workspace)) return `state.json names no absolute path of the workspace (${String(state.workspace)})`;
  const repo = resolveLinks(state.repo);
  const ws = resolveLinks(state.workspace);
  if (isWithin(ws, repo)) return `state.json puts the run's workspace ${state.workspace} in the user's repository ${state.repo}`;
  if (isWithin(repo, ws)) return `state.json puts the run's workspace ${state.workspace} around the user's repository ${state.repo}`;
  if (path.basename(ws) !== id) return `state.json names ${state.workspace}, not the run's own workspace (a directory named ${id})`;
  return null;
}

