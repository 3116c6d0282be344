import path from 'node:path';
import type { Kind } from './kinds.js';
import type { Rule } from '../vocabulary/rule-context.js';
import { policyGlobs } from './policy-rules.js';
import { isModulePath } from '../util/module-path.js';
import { kindOfPath } from '../util/kind-of-path.js';
import { taskRules } from './task-rules.js';

/**
 * The stage-3 rules of a kind. Pipeline rules belong to the compiler (engine/compile/check.ts)
 * and are loaded only for pipelines; rules that need facts from disk get them here, as data,
 * so the rules themselves stay pure. Impure: may check files next to `file`.
 */
export async function rulesFor(kind: Kind, file: string, data: unknown, pipelineDir: string = path.dirname(file)): Promise<Rule<never>[]> {
  switch (kind) {
    case 'Pipeline': {
      const { pipelineRules } = await import('../compile/check.js');
      return [...(pipelineRules() as Rule<never>[]), pluginModulesExist(pipelineDir) as Rule<never>];
    }
    case 'Policy':
      return [policyGlobs as Rule<never>];
    case 'Task': {
      const scenario = (data as { scenario?: unknown } | null)?.scenario;
      const resolved = typeof scenario === 'string' ? path.resolve(path.dirname(file), scenario) : undefined;
      const found = resolved === undefined ? 'file' : kindOfPath(resolved);
      const startFrom = (data as { start_from?: unknown } | null)?.start_from;
      const startFromPath = typeof startFrom === 'string' ? path.resolve(path.dirname(file), startFrom) : undefined;
      const startFromIsDirectory = startFromPath === undefined ? undefined : kindOfPath(startFromPath) === 'directory';
      return taskRules({ scenarioExists: found === 'file', scenarioIsDirectory: found === 'directory', scenarioIsOther: found === 'other', scenarioPath: resolved, startFromPath, startFromIsDirectory }) as Rule<never>[];
    }
    default:
      return [];
  }
}

/**
 * Each worker whose `use` is a module path (`./my-worker.js`, `../x.js`, an absolute path) names
 * a file, relative to the pipeline's directory (`pipelineDir`: a run's config snapshot stands
 * for the pipeline it was copied from): E_PLUGIN_MISSING at its `use` otherwise. `validate`
 * said ok of a pipeline whose plugin did not exist, and its run was blocked later (exit 4).
 * Whether the module loads and is a plugin is asked when a run starts (runtime/prepare-run.ts).
 * The rule reads the disk when it runs.
 */
function pluginModulesExist(pipelineDir: string): Rule<{ workers?: Record<string, { use?: unknown }> }> {
  return (ctx) => {
    for (const [name, spec] of Object.entries(ctx.data.workers ?? {})) {
      const use = spec?.use;
      if (typeof use !== 'string' || !isModulePath(use)) continue;
      const resolved = path.resolve(pipelineDir, use);
      const found = kindOfPath(resolved);
      if (found === 'file') continue;
      const what = found === 'directory' ? ' is a directory' : found === 'other' ? ' is not a regular file (a FIFO, a device or a socket cannot be imported)' : '';
      ctx.report('E_PLUGIN_MISSING', ['workers', name, 'use'], `worker plugin module not found: ${resolved}${what} (from "${use}", relative to the pipeline file)`, 'point `use` at the plugin\'s .js file (a TypeScript plugin compiled first), or use a built-in worker: codex, claude, command');
    }
  };
}

