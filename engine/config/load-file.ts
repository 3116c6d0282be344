import { readRegularText } from '../util/read-or-null.js';
import path from 'node:path';
import type { Diagnostic } from '../vocabulary/diagnostics.js';
import { hasErrors } from '../vocabulary/diagnostics.js';
import { describeFsError } from '../util/describe-fs-error.js';
import { checkDocument, detectKind } from './check-document.js';
import { schemaNameOf, type Kind } from './kinds.js';
import { type ParsedSource, type Position } from './parse-source.js';
import { parseConfigText } from './known-parses.js';
import type { DocPath, Rule } from '../vocabulary/rule-context.js';
import { rulesFor } from './rules-for.js';
import { loadValidator } from './validators.js';

/** A config file after the three stages. `data` is null when there is any error. */
export interface LoadedFile {
  file: string;
  kind: string | null;
  data: unknown | null;
  diagnostics: Diagnostic[];
  locate(path: DocPath): Position;
}

export interface LoadOptions {
  /** Refuse a file of another kind (E_KIND). */
  expectKind?: Kind;
  /** Resolve a relative `file` against this directory (diagnostics still name `file` as given). */
  cwd?: string;
}

/**
 * Read and check one config file: parse (E_YAML), kind (E_KIND), schema (E_SCHEMA,
 * E_UNKNOWN_KEY), rules of its kind. Never throws for a bad or unreadable file (E_FILE).
 * Impure: reads the file and the schema.
 */
export async function loadConfigFile(file: string, options: LoadOptions = {}): Promise<LoadedFile> {
  let text: string;
  try {
    text = await readRegularText(path.resolve(options.cwd ?? '.', file));
  } catch (error) {
    return unreadable(file, error);
  }
  return checkText(text, file, options);
}

/** The same stages on text already in memory (`file` names it in diagnostics). Impure: reads schemas. */
export async function checkText(text: string, file: string, options: LoadOptions = {}): Promise<LoadedFile> {
  const source = parseConfigText(text, file);
  if (hasErrors(source.diagnostics)) return result(source, null, source.diagnostics);
  const detected = detectKind(source, options.expectKind);
  if (detected.kind === null) return result(source, null, detected.diagnostics);
  const validator = await loadValidator(schemaNameOf(detected.kind));
  if (validator === null) {
    const d: Diagnostic = { code: 'E_KIND', severity: 'error', message: `this engine has no schema for kind \`${detected.kind}\``, file, ...source.locate(['kind']) };
    return result(source, detected.kind, [d]);
  }
  const rules = (await rulesFor(detected.kind, path.resolve(options.cwd ?? '.', file), source.data)) as Rule<unknown>[];
  return result(source, detected.kind, checkDocument(source, validator, rules));
}

function result(source: ParsedSource, kind: string | null, diagnostics: Diagnostic[]): LoadedFile {
  return {
    file: source.file,
    kind,
    data: hasErrors(diagnostics) ? null : source.data,
    diagnostics,
    locate: (path) => source.locate(path),
  };
}

function unreadable(file: string, error: unknown): LoadedFile {
  const why = (error as NodeJS.ErrnoException).code === 'ENOTREG' ? 'not a regular file (a FIFO or a device: nothing to read a config from)' : (describeFsError(error)?.why ?? (error as Error).message);
  return {
    file,
    kind: null,
    data: null,
    diagnostics: [{ code: 'E_FILE', severity: 'error', message: `cannot read ${file}: ${why}`, file, line: 0, col: 0 }],
    locate: () => ({ line: 0, col: 0 }),
  };
}
