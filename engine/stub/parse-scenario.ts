import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { Diagnostic } from '../config/diagnostics.js';
import type { EngineScenario } from './types.js';

/** Result of checking a scenario's text: the scenario when it is valid, and every problem found. */
export interface ParsedScenario {
  scenario: EngineScenario | null;
  diagnostics: Diagnostic[];
}

/**
 * Parse and validate a scenario file's text against the scenario schema, with each problem
 * at the line and column of the offending YAML node (or its nearest existing parent). Pure
 * apart from compiling the given schema (cached per schema object).
 */
export function parseScenario(text: string, file: string, schema: object): ParsedScenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  if (doc.errors.length > 0) {
    return { scenario: null, diagnostics: doc.errors.map((e) => ({ code: 'E_YAML', severity: 'error', message: e.message.split('\n')[0]!, file, ...at(e.pos[0]) })) };
  }
  const data: unknown = doc.toJS();
  const record = data as Record<string, unknown> | null;
  if (record === null || typeof record !== 'object' || record['kind'] !== 'Scenario') {
    const found = record && typeof record === 'object' ? JSON.stringify(record['kind'] ?? null) : 'no mapping';
    return { scenario: null, diagnostics: [{ code: 'E_KIND', severity: 'error', message: `expected kind: Scenario, found ${found}`, file, ...nodePos(doc, ['kind'], at) }] };
  }
  const validate = compile(schema);
  if (validate(data)) return { scenario: data as EngineScenario, diagnostics: [] };
  return { scenario: null, diagnostics: dedupe((validate.errors ?? []).map((e) => toDiagnostic(e, doc, file, at))) };
}

const compiled = new WeakMap<object, ValidateFunction>();

function compile(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = new Ajv({ allErrors: true, strict: false }).compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

type At = (offset: number) => { line: number; col: number };

function toDiagnostic(e: ErrorObject, doc: Document, file: string, at: At): Diagnostic {
  const path = e.instancePath.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  const unknownKey = e.keyword === 'additionalProperties' ? String((e.params as { additionalProperty: string }).additionalProperty) : null;
  const where = unknownKey ? [...path, unknownKey] : path;
  const pointer = '/' + where.join('/');
  const message = unknownKey
    ? `unknown key "${unknownKey}" at ${e.instancePath || '/'}`
    : `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${allowed(e)}`;
  return { code: unknownKey ? 'E_UNKNOWN_KEY' : 'E_SCHEMA', severity: 'error', message, file, pointer, ...nodePos(doc, where, at, unknownKey !== null) };
}

function allowed(e: ErrorObject): string {
  const p = e.params as { allowedValues?: unknown[]; allowedValue?: unknown };
  if (p.allowedValues) return `: ${p.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (p.allowedValue !== undefined) return `: ${JSON.stringify(p.allowedValue)}`;
  return '';
}

/** Position of the node at `path`, or of its nearest existing parent; at a key when asked. */
function nodePos(doc: Document, path: string[], at: At, preferKey = false): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const keys = path.slice(0, n).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    if (preferKey && n === path.length && n > 0) {
      const parent = keys.length > 1 ? doc.getIn(keys.slice(0, -1), true) : doc.contents;
      const pair = isNode(parent) && 'items' in parent ? (parent.items as { key?: unknown }[]).find((p) => isNode(p.key) && (p.key as { value?: unknown }).value === keys.at(-1)) : undefined;
      const range = pair && isNode(pair.key) ? pair.key.range : undefined;
      if (range) return at(range[0]);
    }
    const node = n === 0 ? doc.contents : doc.getIn(keys, true);
    if (isNode(node) && node.range) return at(node.range[0]);
  }
  return { line: 1, col: 1 };
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.line}:${d.col}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
