import type { DocPath } from '../vocabulary/rule-context.js';

/** `budgets.max_ticks`, `steps[3].on.fail`; the document itself for an empty path. Pure. */
export function displayPath(path: DocPath): string {
  if (path.length === 0) return 'the document';
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? p : `.${p}`;
  }
  return out;
}

/** JSON type name of a value, as JSON Schema spells it. Pure. */
export function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** `string "ten"`, `integer 5`, `null`, `array`, … for messages. Pure. */
export function describeValue(value: unknown): string {
  const type = typeOf(value);
  if (type === 'string') return `string ${JSON.stringify(truncate(value as string))}`;
  if (type === 'integer' || type === 'number' || type === 'boolean') return `${type} ${String(value)}`;
  return type;
}

/** "`a`, `b` or `c`". Pure. */
export function listOf(values: readonly unknown[], conjunction = 'or'): string {
  const items = values.map((v) => `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``);
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items.at(-1)}`;
}

/** The value at a path of plain data, or undefined. Pure. */
export function valueAt(data: unknown, path: DocPath): unknown {
  let v = data;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
