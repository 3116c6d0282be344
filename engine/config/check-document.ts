import type { Diagnostic } from '../vocabulary/diagnostics.js';
import { hasErrors } from '../vocabulary/diagnostics.js';
import { didYouMean } from '../util/did-you-mean.js';
import { isKind, KINDS, type Kind } from './kinds.js';
import type { ParsedSource } from './parse-source.js';
import { runRules, toPointer, type Rule } from '../vocabulary/rule-context.js';
import { diagnoseSchemaErrors, sortByPosition, splitPointer } from './schema-check.js';
import type { Validator } from './validators.js';

/** The kind a parsed file declares, or a diagnostic saying why there is none. Pure. */
export function detectKind(source: ParsedSource, expectKind?: Kind): { kind: Kind | null; diagnostics: Diagnostic[] } {
  const data = source.data;
  const declared = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>)['kind'] : undefined;
  const at = (path: string[]) => ({ file: source.file, ...source.locate(path), pointer: toPointer(path) });
  if (isKind(declared)) {
    if (expectKind && declared !== expectKind) {
      return { kind: null, diagnostics: [{ code: 'E_KIND', severity: 'error', message: `expected a ${expectKind} file, got kind \`${declared}\``, ...at(['kind']) }] };
    }
    return { kind: declared, diagnostics: [] };
  }
  const allowed = KINDS.map((k) => `\`${k}\``).join(', ');
  if (data === null) return { kind: null, diagnostics: [emptyFile(allowed, at([]), expectKind)] };
  if (typeof data !== 'object' || Array.isArray(data)) {
    const got = Array.isArray(data) ? 'a list' : `a ${typeof data}`;
    const message = `a config file is a mapping with \`apiVersion\` and \`kind\` (one of ${allowed}), got ${got}`;
    return { kind: null, diagnostics: [{ code: 'E_KIND', severity: 'error', message, ...at([]) }] };
  }
  const message =
    declared === undefined
      ? `missing \`kind\`: a config file declares one of ${allowed}`
      : `unknown kind ${JSON.stringify(declared)}: expected one of ${allowed}`;
  const hint =
    declared === 'greenfield' || declared === 'incremental'
      ? `\`kind\` is the file's kind (\`kind: Task\`); write \`task_kind: ${declared}\``
      : typeof declared === 'string'
        ? didYouMean(declared, KINDS)
        : expectKind
          ? `add \`kind: ${expectKind}\``
          : undefined;
  const d: Diagnostic = { code: 'E_KIND', severity: 'error', message, ...at(declared === undefined ? [] : ['kind']), ...(hint ? { hint } : {}) };
  return { kind: null, diagnostics: [d] };
}

/**
 * An empty file (nothing, only comments, or null), at 1:1: a truncated save was told only that
 * it missed `kind`. Pure.
 */
function emptyFile(allowed: string, at: Pick<Diagnostic, 'file' | 'line' | 'col' | 'pointer'>, expectKind?: Kind): Diagnostic {
  const message = `the file is empty (no mapping in it, only comments or nothing): a config file is a mapping with \`apiVersion: engine/v1\` and \`kind\` (one of ${allowed})`;
  return { code: 'E_KIND', severity: 'error', message, ...at, ...(expectKind ? { hint: `start it with \`apiVersion: engine/v1\` and \`kind: ${expectKind}\`` } : {}) };
}

/**
 * Stages 2 and 3 on a parsed file of a known kind: the schema, then (only when the schema
 * holds, so rules can trust the shape) the kind's rules. Pure.
 */
export function checkDocument<T>(source: ParsedSource, validator: Validator, rules: readonly Rule<T>[]): Diagnostic[] {
  const schemaDiagnostics = diagnoseSchemaErrors(validator.validate(source.data), validator.schema, source);
  if (hasErrors(schemaDiagnostics)) return schemaDiagnostics.map((d) => throughAlias(d, source));
  return sortByPosition(runRules(rules, source.file, source.data as T, (p) => source.locate(p))).map((d) => throughAlias(d, source));
}

/**
 * A diagnostic of a value reached through an alias, located where its anchor wrote it, says
 * which alias: one anchor used in two places was otherwise named at the anchor alone, and
 * the use that made it wrong was left to be guessed. Pure.
 */
export function throughAlias(d: Diagnostic, source: ParsedSource): Diagnostic {
  if (d.pointer === undefined || !source.aliasOn) return d;
  const path = splitPointer(d.pointer, source.data);
  // One located at the key of its last step (an unknown key) is about the key: the way to it
  // is its parent's, whatever alias its own value is.
  const key = path.length ? source.locateKey(path) : null;
  const via = source.aliasOn(key && key.line === d.line && key.col === d.col ? path.slice(0, -1) : path);
  return via ? { ...d, message: `${d.message} (reached through the alias \`*${via.name}\` at ${via.at.line}:${via.at.col})` } : d;
}
