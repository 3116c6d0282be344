import type { Command } from '../command.js';
import { flag, UsageError } from '../command.js';
import { EXIT } from '../../vocabulary/exit-codes.js';
import type { CliIo } from '../io.js';
import type { Diagnostic } from '../../vocabulary/diagnostics.js';
import { formatDiagnostic } from '../../vocabulary/diagnostics.js';
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
      const valid = !loaded.diagnostics.some((d) => d.severity === 'error');
      files.push({ file, kind: loaded.kind, valid, diagnostics: loaded.diagnostics });
      if (json) continue;
      printDiagnostics(io, loaded.diagnostics);
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

/** Diagnostics to stderr, one line each (`path:line:col: error CODE message (hint)`). */
export function printDiagnostics(io: CliIo, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) io.stderr(`${printable(formatDiagnostic(d))}\n`);
}

/** One JSON document on stdout. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${terminalSafeJson(JSON.stringify(value, null, 2))}\n`);
}
