import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WorkerSpec } from '../generated/pipeline.js';
import type { WorkerPlugin } from './types.js';
import { commandWorker } from './command-worker.js';

/** Built-in plugins by name; codex, claude and replay load from their own modules on demand. */
const BUILTIN_MODULES: Record<string, string> = {
  codex: './codex-worker.js',
  claude: './claude-worker.js',
  replay: './replay-worker.js',
};

/**
 * The plugin for a worker spec: a built-in by name, or a user's module (a path relative to
 * the pipeline file) whose default export is a `defineWorker(...)` plugin. Throws a clear
 * error for a missing module or one that is not a plugin. Impure (imports modules).
 */
export async function resolveWorkerPlugin(spec: WorkerSpec, pipelineDir: string): Promise<WorkerPlugin> {
  if (spec.use === 'command') return commandWorker;
  const builtin = BUILTIN_MODULES[spec.use];
  const target = builtin ?? pathToFileURL(path.resolve(pipelineDir, spec.use)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(target)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`worker plugin "${spec.use}" could not be loaded: ${(error as Error).message}`);
  }
  const plugin = (mod.default ?? Object.values(mod).find(isPlugin)) as unknown;
  if (!isPlugin(plugin)) throw new Error(`worker plugin "${spec.use}" does not export a plugin made with defineWorker(...)`);
  if (plugin.contract !== 1) throw new Error(`worker plugin "${spec.use}" speaks contract ${String(plugin.contract)}; this engine speaks 1`);
  return plugin;
}

function isPlugin(value: unknown): value is WorkerPlugin {
  const p = value as Partial<WorkerPlugin> | null;
  return !!p && typeof p === 'object' && typeof p.name === 'string' && typeof p.invoke === 'function' && typeof p.createParser === 'function' && typeof p.detectVersion === 'function' && typeof p.resolveBin === 'function';
}
