import type { Diagnostic } from '../vocabulary/diagnostics.js';
import type { DocPath } from '../vocabulary/rule-context.js';
import { toPointer } from '../vocabulary/rule-context.js';
import { describeValue, displayPath, listOf, typeOf, valueAt } from './describe.js';
import { didYouMean, habitHint, keyHint } from '../util/did-you-mean.js';
import type { Position } from './parse-source.js';

/** The fields of an ajv error this module reads (ajv's ErrorObject, without importing ajv). */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params: Record<string, unknown>;
  message?: string;
  propertyName?: string;
}

/** What stage 2 needs of a parsed file. */
export interface Located {
  file: string;
  data: unknown;
  locate(path: DocPath): Position;
  locateKey(path: DocPath): Position;
}

/**
 * Stage 2 of loading: turn a validator's errors into one diagnostic per problem, placed at
 * the offending node (an unknown key at the key itself), in document order. oneOf/anyOf
 * noise is folded: when the value has the type of some branch, only that branch's errors
 * are kept; when it matches no branch's type, one "must be X or Y" remains. Pure.
 */
export function diagnoseSchemaErrors(errors: readonly SchemaError[], schema: object, source: Located): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const { kept, leftOut } = capUnknownKeys(foldAlternatives(errors), source);
  for (const e of kept) {
    const d = toDiagnostic(e, schema, source);
    // An alias repeats a node under a second path: same node, same problem, one diagnostic.
    const key = `${d.code}@${d.line}:${d.col}:${e.keyword}:${JSON.stringify(e.params)}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(d);
    }
  }
  const sorted = sortByPosition(out);
  if (leftOut) sorted.push(moreUnknownKeys(leftOut, source.file));
  return sorted;
}

/**
 * The most unknown keys a file's diagnostics name: a policy of 300,000 held `validate` for 45 s
 * (a hint and a message for each, one synchronous stretch no SIGTERM could end) and printed
 * 300,000 lines. Past it, one more diagnostic of the same code counts the rest.
 */
export const MAX_UNKNOWN_KEYS = 100;

/** Unknown keys left out: how many, and where the first of them is. */
interface LeftOut {
  count: number;
  at: DocPath;
  line: number;
  col: number;
}

/**
 * The errors to make diagnostics of: all but the unknown keys past the first MAX_UNKNOWN_KEYS
 * in document order (each found by its key's position, without its hint; one key reached
 * twice through an alias counts once), and those left out. Pure.
 */
function capUnknownKeys(errors: readonly SchemaError[], source: Located): { kept: SchemaError[]; leftOut: LeftOut | null } {
  const unknown = errors.filter(isUnknownKey);
  if (unknown.length <= MAX_UNKNOWN_KEYS) return { kept: [...errors], leftOut: null };
  const byPlace = new Map<string, { e: SchemaError; at: DocPath; line: number; col: number }>();
  for (const e of unknown) {
    const at = [...splitPointer(e.instancePath, source.data), String(e.keyword === 'additionalProperties' ? e.params['additionalProperty'] : e.propertyName)];
    const { line, col } = source.locateKey(at);
    byPlace.set(`${line}:${col}:${toPointer(at)}`, { e, at, line, col });
  }
  const placed = [...byPlace.values()].sort((a, b) => a.line - b.line || a.col - b.col);
  if (placed.length <= MAX_UNKNOWN_KEYS) return { kept: [...errors], leftOut: null };
  const named = new Set(placed.slice(0, MAX_UNKNOWN_KEYS).map((p) => p.e));
  const first = placed[MAX_UNKNOWN_KEYS]!;
  return { kept: errors.filter((e) => !isUnknownKey(e) || named.has(e)), leftOut: { count: placed.length - MAX_UNKNOWN_KEYS, at: first.at, line: first.line, col: first.col } };
}

function isUnknownKey(e: SchemaError): boolean {
  return e.keyword === 'additionalProperties' || e.keyword === 'propertyNames/enum';
}

/** The diagnostic that counts the unknown keys not named, at the first of them. Pure. */
function moreUnknownKeys(l: LeftOut, file: string): Diagnostic {
  return { code: 'E_UNKNOWN_KEY', severity: 'error', message: `and ${l.count.toLocaleString('en-US')} more unknown keys, not named`, file, line: l.line, col: l.col, pointer: toPointer(l.at), hint: `only the first ${MAX_UNKNOWN_KEYS} unknown keys of a file are named` };
}

/** Diagnostics sorted by line then column, stable for ties. Pure. */
export function sortByPosition(ds: Diagnostic[]): Diagnostic[] {
  return ds
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.line - b.d.line || a.d.col - b.d.col || a.i - b.i)
    .map((x) => x.d);
}

/** Split an ajv instancePath into segments (array indexes as numbers). Pure. */
export function splitPointer(pointer: string, data?: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let v = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const index = Array.isArray(v) && /^\d+$/.test(seg) ? Number(seg) : seg;
    out.push(index);
    v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[index] : undefined;
  }
  return out;
}

function foldAlternatives(errors: readonly SchemaError[]): SchemaError[] {
  const out: SchemaError[] = [];
  for (const e of errors) {
    if (e.keyword === 'if') continue; // "must match then schema": the then-errors say what is wrong
    if (e.keyword === 'propertyNames') {
      // ajv reports the failing rule for the name first (with propertyName), then this summary.
      const inner = out.at(-1);
      if (inner && inner.propertyName === e.params['propertyName'] && inner.instancePath === e.instancePath) {
        out.pop();
        out.push({ ...inner, keyword: `propertyNames/${inner.keyword}` });
        continue;
      }
    }
    if (e.keyword !== 'oneOf' && e.keyword !== 'anyOf') {
      out.push(e);
      continue;
    }
    const branch: SchemaError[] = [];
    while (out.length > 0 && within(out.at(-1)!.instancePath, e.instancePath)) branch.unshift(out.pop()!);
    const mismatch = branch.filter((b) => b.instancePath === e.instancePath && b.keyword === 'type');
    const rest = branch.filter((b) => !mismatch.includes(b));
    const merged = enumOrPattern(rest, e.instancePath);
    if (merged) out.push(merged);
    else if (rest.length > 0) out.push(...rest);
    else if (mismatch.length > 0) {
      const types = [...new Set(mismatch.flatMap((m) => typesOf(m.params['type'])))];
      out.push({ ...e, keyword: 'type', params: { type: types } });
    } else out.push(e);
  }
  return out;
}

/**
 * `anyOf: [{enum}, {pattern}]` (a built-in name or a path, as `use:` is) failing both ways is
 * one problem: one error that names the values and what the pattern stands for. Pure.
 */
function enumOrPattern(rest: readonly SchemaError[], at: string): SchemaError | undefined {
  if (rest.length !== 2 || rest.some((r) => r.instancePath !== at)) return undefined;
  const en = rest.find((r) => r.keyword === 'enum');
  const pattern = rest.find((r) => r.keyword === 'pattern');
  if (!en || !pattern) return undefined;
  return { ...en, keyword: 'enumOrPattern', params: { ...en.params, patternAt: parentOf(pattern.schemaPath), pattern: pattern.params['pattern'] } };
}

function toDiagnostic(e: SchemaError, schema: object, source: Located): Diagnostic {
  const path = splitPointer(e.instancePath, source.data);
  const value = valueAt(source.data, path);
  const where = displayPath(path);
  const make = (code: string, at: DocPath, message: string, hint?: string, byKey = false): Diagnostic => {
    const { line, col } = byKey ? source.locateKey(at) : source.locate(at);
    return { code, severity: 'error', message, file: source.file, line, col, pointer: toPointer(at), ...(hint ? { hint } : {}) };
  };
  const p = e.params;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p['additionalProperty']);
      // ajv's schemaPath is relative to a referenced definition, so the keys come from walking the data.
      const at = schemaForData(schema, source.data, path) ?? schemaAt(schema, parentOf(e.schemaPath));
      const allowed = Object.keys(at?.['properties'] ?? {}).filter((k) => k !== '$schema');
      const stepType = path.at(-2) === 'steps' && value !== null && typeof value === 'object' ? (value as Record<string, unknown>)['type'] : undefined;
      const inside = path.length ? ` in \`${where}\`${typeof stepType === 'string' ? ` (a ${stepType} step)` : ''}` : '';
      return make('E_UNKNOWN_KEY', [...path, key], `unknown key \`${key}\`${inside}`, habitHint(key, allowed, value) ?? keyHint(key, allowed), true);
    }
    case 'propertyNames/enum': {
      const key = String(e.propertyName);
      const allowed = (p['allowedValues'] as unknown[]).map(String);
      const inside = path.length ? ` in \`${where}\`` : '';
      return make('E_UNKNOWN_KEY', [...path, key], `unknown key \`${key}\`${inside}`, keyHint(key, allowed), true);
    }
    case 'required':
      return make('E_SCHEMA', path, `${path.length ? `\`${where}\` is missing` : 'missing'} required key \`${String(p['missingProperty'])}\``);
    case 'type':
      return make('E_SCHEMA', path, `\`${where}\` must be ${typesOf(p['type']).join(' or ')}, got ${describeValue(value)}`);
    case 'enum': {
      const allowed = p['allowedValues'] as unknown[];
      const hint = typeof value === 'string' ? didYouMean(value, allowed.map(String)) : undefined;
      return make('E_SCHEMA', path, `\`${where}\` must be one of ${listOf(allowed)}, got ${describeValue(value)}`, hint);
    }
    case 'enumOrPattern': {
      const allowed = p['allowedValues'] as unknown[];
      const title = schemaAt(schema, String(p['patternAt']))?.['title'];
      const other = typeof title === 'string' ? title : `a value matching ${JSON.stringify(p['pattern'])}`;
      const hint = typeof value === 'string' ? didYouMean(value, allowed.map(String)) : undefined;
      return make('E_SCHEMA', path, `\`${where}\` must be one of ${listOf(allowed)}, or ${other}, got ${describeValue(value)}`, hint);
    }
    case 'const':
      return make('E_SCHEMA', path, `\`${where}\` must be ${listOf([p['allowedValue']])}, got ${describeValue(value)}`);
    default: {
      if (e.keyword.startsWith('propertyNames/')) {
        const key = String(e.propertyName);
        return make('E_SCHEMA', [...path, key], `key \`${key}\` in \`${where}\` ${e.message ?? 'is not allowed'}`, undefined, true);
      }
      const got = typeOf(value) === 'string' || typeOf(value) === 'integer' || typeOf(value) === 'number' ? `, got ${describeValue(value)}` : '';
      return make('E_SCHEMA', path, `\`${where}\` ${e.message ?? `fails ${e.keyword}`}${got}`);
    }
  }
}

function within(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

function typesOf(t: unknown): string[] {
  if (Array.isArray(t)) return t.map(String);
  return String(t).split(',');
}

function parentOf(schemaPath: string): string {
  return schemaPath.slice(0, schemaPath.lastIndexOf('/'));
}

type SchemaNode = Record<string, unknown>;

/**
 * The schema that applies to the value at `path`: follows properties, additionalProperties,
 * items and `$ref`s, and takes the `then` of each `if` the value meets on its `type` key (how
 * steps are discriminated). Undefined when the walk leaves what it understands. Pure.
 */
function schemaForData(root: object, data: unknown, path: readonly (string | number)[]): Record<string, Record<string, unknown>> | undefined {
  const deref = (node: unknown): SchemaNode | undefined => {
    let n = node as SchemaNode | undefined;
    for (let i = 0; i < 10 && n && typeof n['$ref'] === 'string'; i++) n = schemaAt(root, n['$ref'] as string) as SchemaNode | undefined;
    return n && typeof n === 'object' ? n : undefined;
  };
  const narrow = (node: SchemaNode | undefined, value: unknown): SchemaNode | undefined => {
    if (!node || !Array.isArray(node['allOf']) || value === null || typeof value !== 'object') return node;
    const type = (value as Record<string, unknown>)['type'];
    for (const part of node['allOf'] as SchemaNode[]) {
      const want = ((part['if'] as SchemaNode | undefined)?.['properties'] as Record<string, SchemaNode> | undefined)?.['type']?.['const'];
      if (want !== undefined && want === type) return deref(part['then']) ?? node;
    }
    return node;
  };
  let node = narrow(deref(root), data);
  let value = data;
  for (const seg of path) {
    if (!node) return undefined;
    const props = node['properties'] as Record<string, unknown> | undefined;
    const next = typeof seg === 'number' ? node['items'] : (props?.[seg] ?? (typeof node['additionalProperties'] === 'object' ? node['additionalProperties'] : undefined));
    value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[seg] : undefined;
    node = narrow(deref(next), value);
  }
  return node as Record<string, Record<string, unknown>> | undefined;
}

/** Resolve a `#/a/b` schema path inside the root schema. */
function schemaAt(schema: object, ref: string): Record<string, Record<string, unknown>> | undefined {
  let v: unknown = schema;
  for (const raw of ref.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v as Record<string, Record<string, unknown>> | undefined;
}
