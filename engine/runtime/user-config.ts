import path from 'node:path';
import type { CompiledPipeline } from '../compile/ir.js';
import type { WatchedTree } from '../governance/watch-files.js';
import { resolveWorkerPlugin } from '../workers/load-plugin.js';
import type { UserConfigPlace, WorkerPlugin } from '../workers/types.js';
import type { WorkerSpec } from '../generated/pipeline.js';
import { effectiveSpec } from './steps/call-worker.js';

/**
 * The user's own CLI config the run's workers reach (a claude or codex worker without a
 * private home keeps its state in the user's ~/.claude or ~/.codex, writable under the OS
 * sandbox): each place its plugin names, once. A hostile probe had a worker add a SessionStart
 * hook to ~/.claude/settings.json; the run completed, and the user's next claude session
 * would have run the hook outside any sandbox. A worker whose plugin cannot be loaded is left
 * out here: its first call fails on that. A plugin whose `userConfig` throws, or gives
 * something that is not a list of places, is a problem (userConfigProblems refuses the run
 * on it before anything is made); what such a plugin gave is left out here. Impure (loads
 * plugins).
 */
export async function userConfigOf(ir: CompiledPipeline, pipelineDir: string, modelEndpoint: string | null, env: NodeJS.ProcessEnv): Promise<UserConfigPlace[]> {
  return (await findUserConfig(ir, pipelineDir, modelEndpoint, env)).places;
}

/**
 * What is wrong with each worker plugin's `userConfig` (it threw, or gave a list with
 * something in it that is not a place), one message per worker, sorted by worker. A run must
 * not start on it: the user's config that plugin meant to guard would not be watched. Impure
 * (loads plugins).
 */
export async function userConfigProblems(ir: CompiledPipeline, pipelineDir: string, env: NodeJS.ProcessEnv): Promise<{ worker: string; message: string }[]> {
  return (await findUserConfig(ir, pipelineDir, null, env)).problems;
}

async function findUserConfig(ir: CompiledPipeline, pipelineDir: string, modelEndpoint: string | null, env: NodeJS.ProcessEnv): Promise<{ places: UserConfigPlace[]; problems: { worker: string; message: string }[] }> {
  const places = new Map<string, UserConfigPlace>();
  const problems: { worker: string; message: string }[] = [];
  for (const { name, spec, plugin } of await loadedWorkers(ir, pipelineDir, modelEndpoint)) {
    let found: unknown;
    try {
      found = plugin.userConfig?.(spec, { ...env, ...(spec.env ?? {}) }) ?? [];
    } catch (error) {
      problems.push({ worker: name, message: `worker "${name}" (use: ${spec.use}): its plugin's userConfig threw: ${(error as Error)?.message ?? String(error)}` });
      continue;
    }
    const bad = Array.isArray(found) ? found.findIndex((p) => !isPlace(p)) : -1;
    const gave = !Array.isArray(found) ? describeValue(found) : bad >= 0 ? `at [${bad}] ${describeValue(found[bad])}` : null;
    if (gave !== null) {
      problems.push({ worker: name, message: `worker "${name}" (use: ${spec.use}): its plugin's userConfig gave ${gave}, not a list of places {root: an absolute directory, paths: relative paths under it, skip?: relative paths, digests?: functions by path}` });
      continue;
    }
    for (const p of found as UserConfigPlace[]) places.set(`${p.root}\0${p.paths.join('\0')}`, p);
  }
  return { places: [...places.values()], problems };
}

/**
 * Each worker of the pipeline, sorted by name, with its spec as the run gives it (a model
 * endpoint set) and its plugin; a worker whose plugin cannot be loaded is left out (its first
 * call fails on that). Impure (loads plugins).
 */
export async function loadedWorkers(ir: CompiledPipeline, pipelineDir: string, modelEndpoint: string | null): Promise<{ name: string; spec: WorkerSpec; plugin: WorkerPlugin }[]> {
  const out: { name: string; spec: WorkerSpec; plugin: WorkerPlugin }[] = [];
  for (const name of Object.keys(ir.workers).sort()) {
    const spec = effectiveSpec(ir.workers[name]!, modelEndpoint);
    try {
      out.push({ name, spec, plugin: await resolveWorkerPlugin(spec, pipelineDir) });
    } catch {
      /* left out */
    }
  }
  return out;
}

/** A short account of a value a plugin gave, for an error message. Pure. */
function describeValue(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
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
