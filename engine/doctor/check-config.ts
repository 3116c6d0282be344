/**
 * The pipeline loads and compiles; the repo's merged policy resolves. Their diagnostics
 * are the details of a blocking finding. Impure (reads files).
 */
import path from 'node:path';
import { plural } from '../util/plural.js';
import { shellWord } from '../util/shell-quote.js';
import { unloadablePlugins } from '../workers/load-plugin.js';
import { formatDiagnostic, hasErrors, type Diagnostic } from '../vocabulary/diagnostics.js';
import { loadPipeline } from '../config/load-typed.js';
import { resolvePolicy } from '../config/policy/resolve-policy.js';
import type { ResolvedPolicy } from '../config/policy/resolved-policy.js';
import { compilePipeline } from '../compile/compile.js';
import type { CompiledPipeline } from '../compile/ir.js';
import { finding, type Finding } from './types.js';
import { engineCommandAnywhere } from '../vocabulary/engine-command.js';

export interface PipelineCheck {
  finding: Finding;
  ir: CompiledPipeline | null;
  diagnostics: Diagnostic[];
}

/** `pipeline`: schema, rules and compilation. `shown` is the path as the user sees it. */
export async function checkPipeline(file: string, shown: string): Promise<PipelineCheck> {
  const loaded = await loadPipeline(file);
  const diagnostics = loaded.diagnostics.map((d) => ({ ...d, file: shown }));
  if (!loaded.data || hasErrors(loaded.diagnostics)) {
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    return {
      ir: null,
      diagnostics,
      finding: finding('pipeline', 'block', `${shown} does not load: ${errors} error${errors === 1 ? '' : 's'}`, `fix the file (\`${engineCommandAnywhere(`validate ${shellWord(shown)}`)}\` shows the same diagnostics)`, diagnostics.map(formatDiagnostic)),
    };
  }
  const ir = compilePipeline(loaded.data);
  // A worker plugin module that cannot be loaded is bad input, as `engine run` says it (exit 2).
  const plugins = await unloadablePlugins(ir, path.dirname(file), { file: shown, locate: loaded.locate });
  if (plugins.length) {
    return { ir, diagnostics: [...diagnostics, ...plugins], finding: finding('pipeline', 'block', `${shown}: ${plugins.length} worker plugin module${plugins.length === 1 ? '' : 's'} cannot be loaded`, 'fix the module (a default export from defineWorker) or the path in `use`; `engine run` refuses the pipeline the same way', plugins.map(formatDiagnostic)) };
  }
  const warnings = diagnostics.map(formatDiagnostic);
  return {
    ir,
    diagnostics,
    finding: finding('pipeline', warnings.length ? 'warn' : 'ok', `${shown} compiles: pipeline ${ir.name}, ${plural(ir.steps.length, 'step')}, ${plural(Object.keys(ir.workers).length, 'worker')} (${ir.hash.slice(0, 19)})`, warnings.length ? 'see the warnings below' : null, warnings),
  };
}

/** The files the errors are in (the user's layer, the repo's, a --set), as the diagnostics name them. Pure. */
function badFiles(diagnostics: readonly Diagnostic[]): string {
  const files = [...new Set(diagnostics.filter((d) => d.severity === 'error' && d.file).map((d) => d.file))];
  return files.length ? files.join(', ') : path.join('.engine', 'policy.yaml');
}

/**
 * `policy`: built-in defaults < the user's layer < the repo's .engine/policy.yaml < each
 * `--policy` file < each `--set` (what a run given them would resolve), merged and validated.
 */
export async function checkPolicy(repo: string, cwd: string, env: NodeJS.ProcessEnv = process.env, given: { files: string[]; sets: string[] } = { files: [], sets: [] }): Promise<{ finding: Finding; policy: ResolvedPolicy | null; diagnostics: Diagnostic[] }> {
  const result = await resolvePolicy({ repo, files: given.files, sets: given.sets, cwd, env });
  const lines = result.diagnostics.map(formatDiagnostic);
  if (!result.policy || hasErrors(result.diagnostics)) {
    const command = ['engine', 'policy', '--repo', repo, ...given.files.flatMap((f) => ['--policy', f]), ...given.sets.flatMap((s) => ['--set', s])].map(shellWord).join(' ');
    return {
      policy: null,
      diagnostics: result.diagnostics,
      finding: finding('policy', 'block', 'the merged policy does not resolve', `fix ${badFiles(result.diagnostics)} (\`${command}\` shows the same diagnostics)`, lines),
    };
  }
  const layers = [...new Set(result.layers.map((l) => (l.source === 'default' ? 'defaults' : (l.file ?? l.source))))].join(' < ');
  return { policy: result.policy, diagnostics: result.diagnostics, finding: finding('policy', 'ok', `policy ${result.hash.slice(0, 19)} (${layers})`, null, lines) };
}
