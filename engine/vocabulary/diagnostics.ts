/**
 * Diagnostics are data: every problem in a user's file becomes one of these, and only the
 * CLI edge turns them into text. Codes are stable (docs/errors.md); tests assert codes and
 * positions, never the English.
 */
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  /** File as the user named it (or a flag such as `--set`). */
  file: string;
  /** 1-based line and column in characters; 0 when the problem has no position. */
  line: number;
  col: number;
  /** JSON pointer of the offending value, when there is one. */
  pointer?: string;
  hint?: string;
}

/** `path:line:col: error CODE message (hint)`. Pure. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file;
  const hint = d.hint ? ` (${d.hint})` : '';
  return `${where}: ${d.severity} ${d.code} ${d.message}${hint}`;
}

/** True when any diagnostic is an error. Pure. */
export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}

/**
 * Bad input found where no diagnostics can be returned (deep in a command, say a run store
 * that is a file): thrown, and the CLI says it as it says a returned diagnostic, exit 2.
 */
export class InputError extends Error {
  override name = 'InputError';
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}
