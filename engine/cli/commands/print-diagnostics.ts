import type { CliIo } from '../io.js';
import type { Diagnostic } from '../../config/diagnostics.js';
import { formatDiagnostic } from '../../config/diagnostics.js';

/** Diagnostics to stderr, one line each (`path:line:col: error CODE message (hint)`). */
export function printDiagnostics(io: CliIo, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) io.stderr(`${formatDiagnostic(d)}\n`);
}

/** One JSON document on stdout. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
