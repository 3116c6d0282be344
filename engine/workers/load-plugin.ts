/**
 * Built-in workers by name, and a user's plugin module by path. Impure (imports a module).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WorkerSpec } from '../generated/pipeline.js';
import type { CompiledPipeline } from '../compile/ir.js';
import type { Diagnostic } from '../vocabulary/diagnostics.js';
import type { WorkerPlugin } from './types.js';
import { builtinWorker, builtinWorkerNames } from './builtin-workers.js';
import { importModule } from './import-module.js';
import { guardPlugin } from './guard-parser.js';
import { isModulePath } from '../util/module-path.js';
import { kindOfPath } from '../util/kind-of-path.js';
import { noteLoaded, notePending } from '../util/pending-awaits.js';
import { keepStdoutOwn } from '../util/own-stdout.js';
import { messageOf } from '../util/message-of.js';
import { describePlace, placeOfLoadError } from './locate-load-error.js';

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
  const builtin = builtinWorker(spec.use);
  if (builtin) return builtin;
  if (isModulePath(spec.use)) return loadWorkerPlugin(spec.use, pipelineDir);
  throw new WorkerPluginError('E_UNKNOWN_WORKER', `unknown worker plugin "${spec.use}": use one of ${builtinWorkerNames().join(', ')} or a module path (./my-worker.js)`);
}


/** Imports a user's module; its default export must come from defineWorker (contract 1). */
export async function loadWorkerPlugin(use: string, baseDir: string): Promise<WorkerPlugin> {
  const file = path.resolve(baseDir, use);
  if (!existsSync(file)) throw new WorkerPluginError('E_PLUGIN_MISSING', `worker plugin module not found: ${file} (from "${use}")`);
  // A FIFO held the import (and the command) for good, deaf to SIGTERM; /dev/zero behind a
  // link grew the engine to 16 GB. Only a regular file is imported.
  if (kindOfPath(file) !== 'file') throw new WorkerPluginError('E_PLUGIN_INVALID', `worker plugin module ${file} (from "${use}") is not a regular file (a FIFO, a device or a socket cannot be imported)`);
  noteLoaded(file);
  keepStdoutOwn();
  let mod: { default?: unknown };
  try {
    mod = (await notePending(`worker plugin ${file}: its module's top level`, importModule(pathToFileURL(file).href))) as { default?: unknown };
  } catch (e) {
    const place = await placeOfLoadError(file, e);
    throw new WorkerPluginError('E_PLUGIN_INVALID', `worker plugin module ${file} failed to load: ${place ? `${describePlace(file, place)}: ` : ''}${kindOf(e)}${messageOf(e)}`);
  }
  // Reading the export runs its getters, if it has any: code of the plugin's, which may throw.
  let plugin: unknown;
  let problems: string[];
  try {
    plugin = defaultExportOf(mod.default);
    problems = checkPluginShape(plugin);
  } catch (e) {
    throw new WorkerPluginError('E_PLUGIN_INVALID', `${file} is not a worker plugin: reading its default export threw: ${messageOf(e)}`);
  }
  if (problems.length) {
    throw new WorkerPluginError('E_PLUGIN_INVALID', `${file} is not a worker plugin (export default defineWorker({...})): ${problems.join('; ')}`);
  }
  // Its parser runs inside the engine on every line of output: its faults fail the call (guard-parser.ts).
  return guardPlugin(plugin as WorkerPlugin, file);
}

/** `SyntaxError: ` and the like before a thrown error's message; '' for a plain Error or a non-error. Pure. */
function kindOf(thrown: unknown): string {
  try {
    return thrown instanceof Error && typeof thrown.name === 'string' && thrown.name !== 'Error' ? `${thrown.name}: ` : '';
  } catch {
    return '';
  }
}

/**
 * A module's default export as its author wrote it. TypeScript compiles `export default x` in a
 * CommonJS package (npm init's "type": "commonjs") to `exports.default = x` with `__esModule`
 * set, and Node's import hands the whole `exports` object over as the default. Pure.
 */
function defaultExportOf(value: unknown): unknown {
  const v = value as { __esModule?: unknown; default?: unknown } | null;
  return typeof v === 'object' && v !== null && v.__esModule === true && 'default' in v ? v.default : value;
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
  return [...problems, ...checkFactsShape(v)];
}

/** What is wrong with the optional facts a plugin may carry (the doctor reads them). Pure. */
function checkFactsShape(v: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  const strings = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if (v.summary !== undefined && typeof v.summary !== 'string') problems.push('`summary` must be a string when present');
  const cli = v.cli;
  if (cli !== undefined) {
    const rangeOk = (r: unknown) => isObject(r) && typeof r.from === 'string' && (r.below === null || typeof r.below === 'string') && typeof r.dialect === 'string';
    if (!isObject(cli) || typeof cli.pkg !== 'string' || !Array.isArray(cli.ranges) || !cli.ranges.every(rangeOk) || !strings(cli.verified) || !(cli.verified as unknown[]).length) {
      problems.push('`cli` must be {pkg, ranges: [{from, below, dialect}], verified: [at least one version]} when present');
    }
  }
  const login = v.login;
  if (login !== undefined && !(isObject(login) && ['homeVar', 'homeDir', 'file', 'command'].every((k) => typeof login[k] === 'string') && strings(login.keys))) {
    problems.push('`login` must be {homeVar, homeDir, file, keys, command} when present');
  }
  if (v.dialects !== undefined && !(isObject(v.dialects) && Object.values(v.dialects).every((f) => typeof f === 'function'))) problems.push('`dialects` must map dialect names to parser factories when present');
  if (v.dialectFor !== undefined && typeof v.dialectFor !== 'function') problems.push('`dialectFor` must be a function when present');
  if (v.userConfig !== undefined && typeof v.userConfig !== 'function') problems.push('`userConfig` must be a function when present');
  if (v.stateDirs !== undefined && typeof v.stateDirs !== 'function') problems.push('`stateDirs` must be a function when present');
  if (v.probe !== undefined && typeof v.probe !== 'boolean') problems.push('`probe` must be a boolean when present');
  return problems;
}

/**
 * The module-path worker plugins of the pipeline that cannot be loaded (missing, failing to
 * import, not a plugin), each as E_PLUGIN_MISSING or E_PLUGIN_INVALID at the worker's `use` in
 * the pipeline file. A run used to start on one and stop doctor_blocked (exit 4), where the
 * docs promised these codes and exit 2; run, resume and doctor all say it so. Impure (loads the modules).
 */
export async function unloadablePlugins(ir: CompiledPipeline, pipelineDir: string, pipeline: { file: string; locate: (p: readonly (string | number)[]) => { line: number; col: number } }): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  for (const name of Object.keys(ir.workers).sort()) {
    const spec = ir.workers[name]!;
    if (!isModulePath(spec.use)) continue;
    try {
      await resolveWorkerPlugin(spec, pipelineDir);
    } catch (error) {
      if (!(error instanceof WorkerPluginError)) throw error;
      out.push({ code: error.code, severity: 'error', message: `worker "${name}": ${error.message}`, file: pipeline.file, ...pipeline.locate(['workers', name, 'use']) });
    }
  }
  return out;
}

