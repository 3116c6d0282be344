/**
 * Built-in workers by name, and a user's plugin module by path. Impure (imports a module).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WorkerSpec } from '../generated/pipeline.js';
import type { WorkerPlugin } from './types.js';
import { codexWorker } from './codex-worker.js';
import { claudeWorker } from './claude-worker.js';
import { commandWorker } from './command-worker.js';
import { replayWorker } from './replay-worker.js';
import { importModule } from './import-module.js';

export const BUILTIN_WORKERS: Readonly<Record<string, WorkerPlugin>> = {
  codex: codexWorker,
  claude: claudeWorker,
  command: commandWorker,
  replay: replayWorker,
};

export class WorkerPluginError extends Error {
  constructor(
    readonly code: 'E_PLUGIN_MISSING' | 'E_PLUGIN_INVALID' | 'E_UNKNOWN_WORKER',
    message: string,
  ) {
    super(message);
  }
}

/** The plugin of a WorkerSpec: a built-in name or a module path (relative to the pipeline's dir). */
export async function resolveWorkerPlugin(spec: WorkerSpec, pipelineDir: string): Promise<WorkerPlugin> {
  const builtin = BUILTIN_WORKERS[spec.use];
  if (builtin) return builtin;
  if (isModulePath(spec.use)) return loadWorkerPlugin(spec.use, pipelineDir);
  throw new WorkerPluginError('E_UNKNOWN_WORKER', `unknown worker plugin "${spec.use}": use one of ${Object.keys(BUILTIN_WORKERS).join(', ')} or a module path (./my-worker.js)`);
}

export function isModulePath(use: string): boolean {
  return use.startsWith('./') || use.startsWith('../') || path.isAbsolute(use);
}

/** Imports a user's module; its default export must come from defineWorker (contract 1). */
export async function loadWorkerPlugin(use: string, baseDir: string): Promise<WorkerPlugin> {
  const file = path.resolve(baseDir, use);
  if (!existsSync(file)) throw new WorkerPluginError('E_PLUGIN_MISSING', `worker plugin module not found: ${file} (from "${use}")`);
  let mod: { default?: unknown };
  try {
    mod = (await importModule(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    throw new WorkerPluginError('E_PLUGIN_INVALID', `worker plugin module ${file} failed to load: ${(e as Error).message}`);
  }
  const problems = checkPluginShape(mod.default);
  if (problems.length) {
    throw new WorkerPluginError('E_PLUGIN_INVALID', `${file} is not a worker plugin (export default defineWorker({...})): ${problems.join('; ')}`);
  }
  return mod.default as WorkerPlugin;
}

/** What is missing from a value for it to be a WorkerPlugin. Pure. */
export function checkPluginShape(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['no default export object'];
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof v.name !== 'string') problems.push('`name` must be a string');
  if (v.contract !== 1) problems.push(`\`contract\` must be 1 (got ${JSON.stringify(v.contract)})`);
  for (const fn of ['detectVersion', 'resolveBin', 'invoke', 'createParser']) {
    if (typeof v[fn] !== 'function') problems.push(`\`${fn}\` must be a function`);
  }
  if (v.prepare !== undefined && typeof v.prepare !== 'function') problems.push('`prepare` must be a function when present');
  if (v.envPass !== undefined && !(Array.isArray(v.envPass) && v.envPass.every((n) => typeof n === 'string' && n.length > 0))) problems.push('`envPass` must be a list of variable names when present');
  return problems;
}
