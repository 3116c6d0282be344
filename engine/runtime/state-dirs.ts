import type { CompiledPipeline } from '../compile/ir.js';
import { keptOverlaps, type KeptPlace } from '../sandbox/check-writable.js';
import { loadedWorkers } from './user-config.js';

/**
 * The workers whose CLI keeps its own state (stateDirs: codex's CODEX_HOME, ~/.codex and
 * ~/.claude without a private home) where the sandbox keeps everything read-only: the CLI
 * would fail on its first write of it, saying only that the file system is read-only. One
 * message each, sorted by worker; a worker whose plugin cannot be loaded is left out (its
 * first call fails on that). `modelEndpoint`: whether the workers get one (a private home).
 * Impure (loads plugins, resolves links).
 */
export async function refusedStateDirs(ir: CompiledPipeline, pipelineDir: string, modelEndpoint: string | null, env: NodeJS.ProcessEnv, kept: readonly KeptPlace[]): Promise<string[]> {
  const out: string[] = [];
  for (const { name, spec, plugin } of await loadedWorkers(ir, pipelineDir, modelEndpoint)) {
    let dirs: string[];
    try {
      dirs = plugin.stateDirs?.(spec, { ...env, ...(spec.env ?? {}) }) ?? [];
    } catch {
      continue;
    }
    for (const dir of dirs) for (const how of keptOverlaps(dir, kept)) out.push(`worker "${name}" (use: ${spec.use}) keeps its state in ${dir}, which ${how}: the sandbox keeps that read-only and the CLI could not write its state`);
  }
  return out;
}

/** What to do about a refused state dir. */
export const STATE_DIR_HINT = 'give the worker a private home (isolate_home: true in its spec), or keep the CLI\'s state outside the repository (e.g. CODEX_HOME)';
