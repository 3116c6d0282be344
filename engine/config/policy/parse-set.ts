import { isCollection, parseDocument } from 'yaml';
import type { Diagnostic } from '../../vocabulary/diagnostics.js';
import { holdsNulByte, isSafeNumber, MAX_DEPTH, nestedTooDeep, NUL_MESSAGE, someLeaf, UNSAFE_NUMBER } from '../parse-source.js';
import { messageOf } from '../../util/message-of.js';

/** A parsed `--set key.path=value`. */
export interface SetAssignment {
  /** The dotted key path split into keys. */
  path: string[];
  value: unknown;
  /** The flag as given, for messages and provenance. */
  text: string;
}

/**
 * Parse one `--set KEY=VALUE`: KEY a dotted path of policy keys, VALUE a YAML scalar or flow
 * collection (`40`, `true`, `null`, `'["src/**"]'`, `{commands: [make]}`). Anything else that
 * YAML would read as a block collection is taken as a plain string. Pure.
 */
export function parseSet(text: string): SetAssignment | Diagnostic {
  const eq = text.indexOf('=');
  const key = eq < 0 ? text : text.slice(0, eq);
  if (eq < 0 || !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(key)) {
    return problem('E_USAGE', `--set takes KEY=VALUE with KEY a dotted policy key (budgets.max_ticks=40), got ${JSON.stringify(text)}`);
  }
  const raw = text.slice(eq + 1);
  // As in a config file (parse-source.ts): the parser recurses per level, and an overflow of
  // its stack is no message for a user.
  if (nestedTooDeep(raw) !== null) return problem('E_YAML', `--set ${key}: the value is nested more than ${MAX_DEPTH} levels deep; a policy value never needs this [NESTING]`);
  const doc = parseDocument(raw, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    return problem('E_YAML', `--set ${key}: the value is not valid YAML: ${first.message.replace(/ at line[\s\S]*$/, '')}`);
  }
  const contents = doc.contents;
  const block = isCollection(contents) && !contents.flow;
  if (block) return { path: key.split('.'), value: raw, text };
  // As a config file is checked (parse-source.ts): an alias that names nothing or expands past
  // the parser's count was an exception (exit 70); 1e400 or .inf became Infinity, which
  // state.json then held as null and the engine's own resume refused; a NUL byte reached a spawn.
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    return problem('E_YAML', `--set ${key}: the value is not valid YAML: ${messageOf(error)}`);
  }
  const tag = foreignTag(value);
  if (tag !== null) return problem('E_YAML', `--set ${key}: \`${tag}\` is not a value a config file can hold: text, a finite number, true/false, null, a list or a mapping [NOT_JSON]`);
  if (someLeaf(value, holdsNulByte)) return problem('E_YAML', `--set ${key}: ${NUL_MESSAGE}`);
  if (someLeaf(value, (leaf) => typeof leaf === 'number' && !Number.isFinite(leaf))) return problem('E_YAML', `--set ${key}: the value holds a number that is not finite (.inf, .nan, or beyond the largest a number can be): numbers are finite [NOT_JSON]`);
  if (someLeaf(value, (leaf) => typeof leaf === 'number' && !isSafeNumber(leaf))) return problem('E_YAML', `--set ${key}: the value holds a number past ${Number.MAX_SAFE_INTEGER}: ${UNSAFE_NUMBER} [NOT_JSON]`);
  return { path: key.split('.'), value, text };
}


/**
 * The YAML tag of the first value in `value` that JSON has no shape for, or null: a `!!set` or
 * `!!omap` became a JS Set or Map, which the schema took for a mapping without keys (the
 * value's keys were neither checked nor applied); a `!!timestamp` a Date, `!!binary` bytes.
 * Pure.
 */
function foreignTag(value: unknown): string | null {
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) stack.push(...(v as unknown[]));
    else if (Object.getPrototypeOf(v) === Object.prototype) stack.push(...Object.values(v));
    else return v instanceof Set ? '!!set' : v instanceof Map ? '!!omap' : v instanceof Date ? '!!timestamp' : '!!binary';
  }
  return null;
}

/** True when parseSet returned a diagnostic. Pure. */
export function isDiagnostic(x: SetAssignment | Diagnostic): x is Diagnostic {
  return (x as Diagnostic).code !== undefined;
}

function problem(code: string, message: string): Diagnostic {
  return { code, severity: 'error', message, file: '--set', line: 0, col: 0 };
}
