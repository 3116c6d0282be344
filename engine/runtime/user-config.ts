import path from 'node:path';
import type { CompiledPipeline } from '../compile/ir.js';
import type { WatchedTree } from '../governance/watch-files.js';
import { resolveWorkerPlugin } from '../workers/load-plugin.js';
import type { UserConfigPlace } from '../workers/types.js';
import { effectiveSpec } from './steps/call-worker.js';

/**
 * The user's own CLI config the run's workers reach (a claude or codex worker without a
 * private home keeps its state in the user's ~/.claude or ~/.codex, writable under the OS
 * sandbox): each place its plugin names, once. A hostile probe had a worker add a SessionStart
 * hook to ~/.claude/settings.json; the run completed, and the user's next claude session
 * would have run the hook outside any sandbox. A worker whose plugin cannot be loaded is left
 * out here: its first call fails on that; a place a plugin of the user's gives malformed is
 * left out too. Impure (loads plugins).
 */
export async function userConfigOf(ir: CompiledPipeline, pipelineDir: string, modelEndpoint: string | null, env: NodeJS.ProcessEnv): Promise<UserConfigPlace[]> {
  const places = new Map<string, UserConfigPlace>();
  for (const name of Object.keys(ir.workers).sort()) {
    const spec = effectiveSpec(ir.workers[name]!, modelEndpoint);
    let found: UserConfigPlace[] = [];
    try {
      const plugin = await resolveWorkerPlugin(spec, pipelineDir);
      found = plugin.userConfig?.(spec, { ...env, ...(spec.env ?? {}) }) ?? [];
    } catch {
      continue;
    }
    for (const p of found.filter(isPlace)) places.set(`${p.root}\0${p.paths.join('\0')}`, p);
  }
  return [...places.values()];
}

/** A place as the watch can walk it: an absolute root, relative paths that stay under it, digest functions. Pure. */
function isPlace(p: unknown): p is UserConfigPlace {
  const v = p as Partial<UserConfigPlace> | null;
  if (typeof v?.root !== 'string' || !path.isAbsolute(v.root) || !Array.isArray(v.paths)) return false;
  if (!v.paths.every((rel) => typeof rel === 'string' && rel !== '' && !path.isAbsolute(rel) && !rel.split('/').includes('..'))) return false;
  if (v.skip !== undefined && !(Array.isArray(v.skip) && v.skip.every((rel) => typeof rel === 'string'))) return false;
  return v.digests === undefined || Object.values(v.digests).every((fn) => typeof fn === 'function');
}

/** The watched trees of those places (rule `cli_config`, shown by absolute path). Pure. */
export function userConfigTrees(places: readonly UserConfigPlace[]): WatchedTree[] {
  return places.map((p) => ({ rule: 'cli_config', root: p.root, paths: p.paths, ...(p.skip ? { skip: p.skip } : {}), ...(p.digests ? { digests: p.digests } : {}), label: (rel: string) => `${p.root}/${rel}` }));
}
