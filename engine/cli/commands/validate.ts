import type { Command } from '../command.js';
import { flag, UsageError } from '../command.js';
import { EXIT } from '../../vocabulary/exit-codes.js';
import type { CliIo } from '../io.js';
import path from 'node:path';
import type { Diagnostic } from '../../vocabulary/diagnostics.js';
import { formatDiagnostic, hasErrors } from '../../vocabulary/diagnostics.js';
import type { LoadedFile } from '../../config/load-file.js';
import type { EnginePipeline } from '../../generated/pipeline.js';
import { isModulePath } from '../../util/module-path.js';
import { printable, terminalSafeJson } from '../../util/printable.js';

/** `engine validate <file>...`: parse, schema and rule checks of config files of any kind. */
export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check pipelines, policies, tasks and scenarios (the kind is read from each file)',
  usage: 'validate <file>... [--json]',
  options: { json: { type: 'boolean' } },
  optionHelp: { json: 'print one JSON document {files: [{file, kind, valid, diagnostics}]} on stdout' },
  allowPositionals: true,
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError('name at least one file to validate');
    const { loadConfigFile } = await import('../../config/load-file.js');
    const json = flag(args, 'json');
    const files = [];
    for (const file of args.positionals) {
      const loaded = await loadConfigFile(file, { cwd: io.cwd });
      const diagnostics = [...loaded.diagnostics, ...(await pluginDiagnostics(loaded, path.resolve(io.cwd, file)))];
      const valid = !diagnostics.some((d) => d.severity === 'error');
      files.push({ file, kind: loaded.kind, valid, diagnostics });
      if (json) continue;
      printDiagnostics(io, diagnostics);
      if (valid) io.stdout(`ok ${file} (${loaded.kind})\n`);
    }
    if (json) printJson(io, { files });
    else if (files.length > 1) {
      const bad = files.filter((f) => !f.valid).length;
      io.stderr(bad ? `${bad} of ${files.length} files invalid\n` : '');
    }
    return files.every((f) => f.valid) ? EXIT.ok : EXIT.invalid;
  },
};

/**
 * A valid pipeline's worker plugin modules that cannot be loaded (E_PLUGIN_INVALID: failing to
 * import, not a plugin), at each worker's `use`, as `engine run` refuses them: validate said ok
 * of a plugin that threw on import. Their top-level code runs, as it would in a run. Impure.
 */
async function pluginDiagnostics(loaded: LoadedFile, file: string): Promise<Diagnostic[]> {
  if (loaded.kind !== 'Pipeline' || loaded.data === null || hasErrors(loaded.diagnostics)) return [];
  // Only a pipeline with a plugin loads the compiler and the plugin loader: a validate of the
  // others starts as fast as before (they bring picomatch and more with them).
  const workers = Object.values((loaded.data as EnginePipeline).workers ?? {});
  if (!workers.some((w) => typeof w?.use === 'string' && isModulePath(w.use))) return [];
  const { compilePipeline } = await import('../../compile/compile.js');
  const { unloadablePlugins } = await import('../../workers/load-plugin.js');
  return unloadablePlugins(compilePipeline(loaded.data as EnginePipeline), path.dirname(file), { file: loaded.file, locate: loaded.locate });
}

/** Diagnostics to stderr, one line each (`path:line:col: error CODE message (hint)`). */
export function printDiagnostics(io: CliIo, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) io.stderr(`${printable(formatDiagnostic(d))}\n`);
}

/** One JSON document on stdout. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${terminalSafeJson(JSON.stringify(value, null, 2))}\n`);
}
