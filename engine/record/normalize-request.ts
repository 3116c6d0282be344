import { createHash } from 'node:crypto';
import type { Substitution } from './types.js';
import { parseJson } from '../util/parse-json.js';

/**
 * Keys whose values change from one run of the same work to the next without changing what
 * is asked: ids, timestamps, cache keys, client metadata. Dropped wherever they occur.
 */
export const VOLATILE_KEYS: ReadonlySet<string> = new Set([
  'id',
  'metadata',
  'client_metadata',
  'prompt_cache_key',
  'cache_control',
  'user',
  'user_id',
  'session_id',
  'thread_id',
  'turn_id',
  'installation_id',
  'request_id',
  'timestamp',
  'created_at',
]);

const MASKS: readonly [RegExp, string][] = [
  [/(?<![0-9a-f])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-f])/gi, '<uuid>'],
  [/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?/g, '<time>'],
  [/\b\d{4}-\d{2}-\d{2}\b/g, '<date>'],
  [/\b1\d{12}\b/g, '<epoch-ms>'],
  // codex reports how long each command took in the tool output it sends back.
  [/(Wall time: )\d+(\.\d+)?( seconds?)/g, '$1<s>$3'],
  [/(Chunk ID: )[0-9a-f]+/g, '$1<chunk>'],
  [/(Original token count: )\d+/g, '$1<n>'],
  // Timings in the output of the commands a worker ran (node --test, tap, jest, mocha).
  [/(duration_ms:? )\d+(\.\d+)?/g, '$1<ms>'],
  [/\b\d+(\.\d+)?(ms|s)\b/g, '<duration>'],
  // claude's plan mode names its plan file after the prompt plus two random words.
  [/(\/plans\/)[A-Za-z0-9._-]+\.md\b/g, '$1<plan-file>.md'],
  // Commit ids: a checkpoint's commit holds the time it was made, so its id changes from one
  // run to the next. The workspace's own .git has HEAD at the last checkpoint before a review,
  // and a CLI shows its recent commits in its prompt (`<id> <subject>` lines), as `git log`
  // does in a command's output (`commit <id>`).
  [/(^|\n)[0-9a-f]{7,40}(?= )/g, '$1<commit>'],
  [/\bcommit [0-9a-f]{40}\b/g, 'commit <commit>'],
];

/** `{{name}}` for each substitution's value, longest value first so nested paths go whole. Pure. */
export function toPlaceholders(text: string, subs: readonly Substitution[]): string {
  let out = text;
  for (const s of sortSubs(subs)) if (s.value) out = out.split(s.value).join(`{{${s.name}}}`);
  return out;
}

/** The reverse of toPlaceholders with this run's values. Pure. */
export function fromPlaceholders(text: string, subs: readonly Substitution[]): string {
  let out = text;
  for (const s of subs) out = out.split(`{{${s.name}}}`).join(s.value);
  return out;
}

/**
 * A request body as it is compared: run-specific strings as placeholders, then (for JSON)
 * volatile keys dropped and ids, dates and times masked inside strings; a body that is not
 * JSON stays a string. Pure.
 */
export function normalizeBody(raw: string, subs: readonly Substitution[]): unknown {
  if (raw === '') return null;
  const text = toPlaceholders(raw, subs);
  let value: unknown;
  try {
    value = parseJson(text);
  } catch {
    return maskString(text);
  }
  // Deeper than any API's body: compared as text (the walks below recurse once per level).
  return deeperThan(value, MAX_DEPTH) ? maskString(text) : strip(value);
}

/** How deep a body's JSON may nest to be compared as JSON; no model API comes near it. */
const MAX_DEPTH = 256;

/** Whether a JSON value nests more than `limit` levels (arrays and objects), without recursion. Pure. */
export function deeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** sha256 of a normalised body's canonical JSON, '' for no body. Pure. */
export function hashBody(body: unknown): string {
  return body === null ? '' : createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/** Where two normalised bodies first differ: a JSON pointer and both values (cut short). Pure. */
export function firstDifference(recorded: unknown, got: unknown, pointer = ''): { pointer: string; recorded: string; got: string } | null {
  if (Object.is(recorded, got)) return null;
  const bothArrays = Array.isArray(recorded) && Array.isArray(got);
  const bothObjects = isObject(recorded) && isObject(got);
  if (bothArrays) {
    const [a, b] = [recorded as unknown[], got as unknown[]];
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${pointer}/${i}`);
      if (d) return d;
    }
    if (a.length !== b.length) return { pointer: `${pointer}/${Math.min(a.length, b.length)}`, recorded: show(a[b.length]), got: show(b[a.length]) };
    return null;
  }
  if (bothObjects) {
    const [a, b] = [recorded as Record<string, unknown>, got as Record<string, unknown>];
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])]) {
      const d = firstDifference(a[key], b[key], `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
      if (d) return d;
    }
    return null;
  }
  if (typeof recorded === 'string' && typeof got === 'string') return { pointer: pointer || '/', ...aroundFirstChange(recorded, got) };
  return { pointer: pointer || '/', recorded: show(recorded), got: show(got) };
}

/** Both strings from a little before the first character where they differ. Pure. */
function aroundFirstChange(a: string, b: string): { recorded: string; got: string } {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 40);
  const cut = (s: string) => `${from > 0 ? '...' : ''}${JSON.stringify(s.slice(from, from + 120)).slice(1, -1)}${s.length > from + 120 ? '...' : ''}`;
  return { recorded: cut(a), got: cut(b) };
}

/**
 * A stored normalised body brought up to this engine's rules (masks and dropped keys are
 * idempotent), so a recording made before a rule was added still compares. Pure.
 */
export function renormalize(body: unknown): unknown {
  // A recording is read as it was written, edited or not: one nested this deep is no body normalizeBody made.
  return deeperThan(body, MAX_DEPTH) ? `(a recorded body nested more than ${MAX_DEPTH} levels)` : strip(body);
}

function strip(value: unknown): unknown {
  if (typeof value === 'string') return maskString(value);
  if (Array.isArray(value)) return value.map(strip);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!VOLATILE_KEYS.has(k)) out[k] = strip(v);
  // The output of a command the worker ran: its stdout and stderr interleave differently from
  // one run to the next, so its lines are compared as a sorted list (a changed line still shows).
  if (out['type'] === 'function_call_output' && typeof out['output'] === 'string') out['output'] = sortLines(out['output']);
  if (out['type'] === 'tool_result') {
    const c = out['content'];
    if (typeof c === 'string') out['content'] = sortLines(c);
    else if (Array.isArray(c)) out['content'] = c.map((b) => (isObject(b) && typeof b['text'] === 'string' ? { ...b, text: sortLines(b['text']) } : b));
  }
  return out;
}

function sortLines(text: string): string {
  return text.split('\n').sort().join('\n');
}

function maskString(s: string): string {
  let out = s;
  for (const [re, mark] of MASKS) out = out.replace(re, mark);
  return out;
}

function sortSubs(subs: readonly Substitution[]): Substitution[] {
  return [...subs].sort((a, b) => b.value.length - a.value.length);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = v === undefined ? '(absent)' : typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}
