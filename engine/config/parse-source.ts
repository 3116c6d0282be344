import { LineCounter, isAlias, isCollection, isMap, isPair, isScalar, isSeq, parseDocument, type Alias, type Document, type Node, type Pair } from 'yaml';
import type { Diagnostic } from '../vocabulary/diagnostics.js';
import type { DocPath } from '../vocabulary/rule-context.js';
import { pushAll } from '../util/many.js';

/** A 1-based line and column (in characters, not UTF-16 units). */
export interface Position {
  line: number;
  col: number;
}

/** Stage 1 of loading: the YAML document with positions, and its syntax errors. */
export interface ParsedSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  /** Plain data of the document; null when it has syntax errors or is empty. */
  data: unknown;
  diagnostics: Diagnostic[];
  /** Position of the value at `path`, falling back to its key, then to the nearest existing parent. */
  locate(path: DocPath): Position;
  /** Position of the key of the last segment of `path` (for unknown keys), else `locate(path)`. */
  locateKey(path: DocPath): Position;
  /**
   * The first alias (`*name`) the way to `path` goes through, and where it is written: a value
   * reached through one is located where its anchor wrote it (where to mend it), and the
   * alias says which use of it was checked. null when the way holds none.
   */
  aliasOn?(path: DocPath): { name: string; at: Position } | null;
}

/**
 * Parse YAML text (stage 1). Every syntax error becomes an E_YAML diagnostic at its
 * position, in document order. Pure.
 */
export function parseSource(text: string, file: string): ParsedSource {
  const lineCounter = new LineCounter();
  const position = positionsOf(text, lineCounter);
  const tooDeep = nestedTooDeep(text);
  if (tooDeep !== null) {
    // The parser recurses per level; refuse absurd nesting before it overflows the stack.
    const message = `nested more than ${MAX_DEPTH} levels deep; a config file never needs this [NESTING]`;
    const lineStart = text.lastIndexOf('\n', tooDeep - 1) + 1;
    const at = { line: text.slice(0, lineStart).split('\n').length, col: [...text.slice(lineStart, tooDeep)].length + 1 };
    const d: Diagnostic = { code: 'E_YAML', severity: 'error', message, file, ...at };
    return failed(text, file, parseDocument(''), [d], () => at);
  }
  let doc: Document.Parsed;
  try {
    // Keys are held unique here (duplicateKeys), not by the parser: it compares each key with
    // every key before it in its map, and a map of 20,000 keys took it 2 s of CPU (600,000,
    // within the size a config file may have, hours).
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  } catch (error) {
    // Nesting the text scan above underestimated (closing brackets inside strings, say).
    if (!(error instanceof RangeError)) throw error;
    const d: Diagnostic = { code: 'E_YAML', severity: 'error', message: `nested too deep for the parser; a config file never needs this [NESTING]`, file, line: 1, col: 1 };
    return failed(text, file, parseDocument(''), [d], () => ({ line: 1, col: 1 }));
  }
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<number>();
  for (const e of [...doc.errors, ...duplicateKeys(doc)].sort((a, b) => a.pos[0] - b.pos[0])) {
    // The parser often reports one mistake twice at one offset; one problem, one diagnostic.
    if (seen.has(e.pos[0])) continue;
    seen.add(e.pos[0]);
    const { line, col } = position(e.pos[0]);
    const opener = /^Flow (sequence|map) .*end with a [\]}]/.test(e.message) ? unclosedBracket(text, e.pos[0]) : null;
    const hint = opener === null ? {} : (({ line: l, col: c }) => ({ hint: `the \`${text[opener]}\` at ${l}:${c} is never closed` }))(position(opener));
    diagnostics.push({ code: 'E_YAML', severity: 'error', message: yamlMessage(e.message, e.code), file, line, col, ...hint });
  }
  if (diagnostics.length === 0) diagnostics.push(...aliasProblems(doc, file, position), ...complexKeys(doc, file, position), ...nonJsonValues(doc, text, file, position));
  let data: unknown = null;
  if (diagnostics.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
    } catch (error) {
      // An alias bomb: a few lines that expand to millions of nodes.
      const at = firstAlias(doc) ?? 0;
      const why = /alias count/i.test((error as Error).message)
        ? `aliases expand this document beyond ${MAX_ALIAS_COUNT} nodes (an alias bomb?); write the values out or use fewer aliases [ALIAS_COUNT]`
        : `cannot read the document: ${(error as Error).message} [YAML]`;
      diagnostics.push({ code: 'E_YAML', severity: 'error', message: why, file, ...position(at) });
    }
  }
  const walk = (path: DocPath) => walkPath(doc, path);
  return {
    file,
    text,
    doc,
    data: data ?? null,
    diagnostics,
    locate(path) {
      const { node, pair, depth } = walk(path);
      if (depth === path.length) {
        const keyAt = (pair?.key as Node | undefined)?.range?.[0];
        // `key:` with nothing after it: point at the key, not at the empty spot after the colon.
        const empty = isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1];
        const at = (empty ? keyAt : undefined) ?? node?.range?.[0] ?? keyAt;
        if (at !== undefined) return position(at);
      }
      return position(nodeStart(node, pair, doc));
    },
    locateKey(path) {
      if (path.length === 0) return this.locate(path);
      const { pair, depth } = walk(path);
      const keyStart = depth === path.length ? (pair?.key as Node | undefined)?.range?.[0] : undefined;
      return keyStart !== undefined ? position(keyStart) : this.locate(path);
    },
    aliasOn(path) {
      const { alias } = walk(path);
      const at = alias?.range?.[0];
      return alias && at !== undefined ? { name: String(alias.source), at: position(at) } : null;
    },
  };
}

/** Deeper than this is refused before parsing (the parser recurses once per level). */
export const MAX_DEPTH = 200;
/** The yaml library's cap on alias expansion (its own default is 100). */
const MAX_ALIAS_COUNT = 1000;

function failed(text: string, file: string, doc: Document.Parsed, diagnostics: Diagnostic[], at: () => Position): ParsedSource {
  return { file, text, doc, data: null, diagnostics, locate: at, locateKey: at };
}

/**
 * The offset where flow brackets or block indentation first go more than MAX_DEPTH levels
 * deep, or null. A cheap over-estimate on text (brackets inside strings count too), so it
 * only ever refuses files far beyond anything a config needs. Pure.
 */
export function nestedTooDeep(text: string): number | null {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) return i;
    } else if (c === 0x5d || c === 0x7d) depth = Math.max(0, depth - 1);
    else if (c === 0x0a) {
      let indent = 0;
      while (text.charCodeAt(i + 1 + indent) === 0x20) indent++;
      // Two spaces per level is the tightest block nesting that still reads as YAML.
      if (indent > MAX_DEPTH * 2) return i + 1 + indent;
    }
  }
  return null;
}

/**
 * The offset of the innermost `[` or `{` open at `before` that nothing in the whole text
 * closes, or null. Quoted text and comments are skipped; a bracket in a plain scalar counts
 * (the parser's own error says what it met; this only adds where the list or map began).
 * Pure.
 */
export function unclosedBracket(text: string, before: number): number | null {
  const open: number[] = [];
  let lastOpenBefore: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (i === before) lastOpenBefore = [...open];
    const c = text[i];
    // A quote opens quoted text only where a value can start (`don't` is plain text).
    if ((c === '"' || c === "'") && (i === 0 || /[\s[{,:]/.test(text[i - 1]!))) i = quoteEnd(text, i);
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    else if (c === '[' || c === '{') open.push(i);
    else if ((c === ']' || c === '}') && open.length && text[open.at(-1)!] === (c === ']' ? '[' : '{')) open.pop();
  }
  if (before >= text.length) lastOpenBefore = [...open];
  // Still open at the error, and at the end of the text: never closed.
  const never = lastOpenBefore.filter((at) => open.includes(at));
  return never.at(-1) ?? null;
}

/** The offset of the quote closing the one at `start` (the text's end when none does). Pure. */
function quoteEnd(text: string, start: number): number {
  const q = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (q === '"' && text[i] === '\\') i++;
    else if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return text.length;
}

/** An alias with no anchor before it: one E_YAML each, at the alias. Pure. */
function aliasProblems(doc: Document.Parsed, file: string, position: (offset: number) => Position): Diagnostic[] {
  const out: Diagnostic[] = [];
  forEachNode(doc.contents as Node | null, (node) => {
    if (!isAlias(node)) return;
    let target: unknown;
    try {
      target = node.resolve(doc);
    } catch {
      target = undefined;
    }
    if (target === undefined) {
      const message = `undefined alias \`*${node.source}\`: no anchor \`&${node.source}\` is set before it [UNDEFINED_ALIAS]`;
      out.push({ code: 'E_YAML', severity: 'error', message, file, ...position(node.range?.[0] ?? 0) });
    }
  });
  return out;
}

/** A key that is a list or a map (`? [a, b]`): one E_YAML each, at the key. Pure. */
function complexKeys(doc: Document.Parsed, file: string, position: (offset: number) => Position): Diagnostic[] {
  const out: Diagnostic[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isPair(node)) {
      if (isCollection(node.key)) {
        const message = 'a key must be a plain value such as a name, not a list or a map [COMPLEX_KEY]';
        out.push({ code: 'E_YAML', severity: 'error', message, file, ...position((node.key as Node).range?.[0] ?? 0) });
      }
      stack.push(node.value);
    } else if (isCollection(node)) pushAll(stack, node.items);
  }
  return out;
}

/**
 * A text with a NUL byte (`"\0"` in YAML): no argument, path, variable or git identity can hold
 * one. It passed `validate`, then the spawn of a command, a worker or git threw (exit 70, the
 * run left `running`, every resume the same).
 */
export const NUL_MESSAGE = 'a text with a NUL byte (\\0) is not a value a config file can hold: no argument, path or variable can hold one [NUL]';

/**
 * Whether any text, number or key of a plain value (a `--set` value as parsed) passes `test`:
 * the value checks a config file gets on its YAML nodes, for a value that is no longer one.
 * Pure.
 */
export function someLeaf(value: unknown, test: (leaf: string | number) => boolean): boolean {
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string' || typeof v === 'number') {
      if (test(v)) return true;
    } else if (Array.isArray(v)) stack.push(...v);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (test(k)) return true;
        stack.push(x);
      }
    }
  }
  return false;
}

/** A text with a NUL byte. Pure. */
export const holdsNulByte = (leaf: unknown): boolean => typeof leaf === 'string' && leaf.includes('\0');

/**
 * A scalar whose value JSON cannot hold: `.inf`, `.nan`, a number beyond the largest a double
 * can be (`1e400`), bytes (`!!binary`). One E_YAML each, at the value. Infinity passed the
 * schema as an integer (a `max_ticks: 1e400` meant no limit) and bytes became a map of one key
 * per byte. Pure.
 */
function nonJsonValues(doc: Document.Parsed, text: string, file: string, position: (offset: number) => Position): Diagnostic[] {
  const out: Diagnostic[] = [];
  forEachNode(doc.contents as Node | null, (node) => {
    const tagged = taggedCollection(node, text);
    if (tagged !== null) {
      out.push({ code: 'E_YAML', severity: 'error', message: `\`${tagged.written}\` is not a value a config file can hold: ${NOT_JSON_KINDS} [NOT_JSON]`, file, ...position(tagged.at) });
      return;
    }
    if (!isScalar(node)) return;
    const v = node.value;
    if (holdsNulByte(v)) {
      out.push({ code: 'E_YAML', severity: 'error', message: NUL_MESSAGE, file, ...position(node.range?.[0] ?? 0) });
      return;
    }
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || isSafeNumber(v)) return;
    const [start = 0, end = start] = node.range ?? [];
    const written = node.tag && !/^tag:yaml\.org,2002:(float|int)$/.test(node.tag) ? `!!${node.tag.replace(/^tag:yaml\.org,2002:/, '')}` : text.slice(start, end).trim();
    const why =
      typeof v === 'number'
        ? /^[-+]?\.(inf|nan)$/i.test(written)
          ? 'numbers are finite'
          : Number.isFinite(v)
            ? UNSAFE_NUMBER
            : 'numbers are finite (this one is beyond the largest a number can be)'
        : NOT_JSON_KINDS;
    out.push({ code: 'E_YAML', severity: 'error', message: `\`${written.slice(0, 60)}\` is not a value a config file can hold: ${why} [NOT_JSON]`, file, ...position(start) });
  });
  return out;
}

const NOT_JSON_KINDS = 'text, a finite number, true/false, null, a list or a mapping';

/** Why a finite number past 2^53 is refused (NOT_JSON): a count or a limit there is not exact. */
export const UNSAFE_NUMBER = `numbers are at most ${Number.MAX_SAFE_INTEGER} either way (past it, not every whole number can be told apart)`;

/**
 * A number a config file can hold: finite, and no further from 0 than 2^53 − 1. Past it
 * `max_ticks: 99999999999999999999` passed as an integer (the flags stop at 2^53 − 1), a
 * limit no count could be compared with exactly. Pure.
 */
export function isSafeNumber(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER;
}

/**
 * A collection of YAML 1.1's tags that JSON has no shape for: `!!set` and `!!omap` became a
 * JS Set or Map, which the schema took for a mapping without keys (`governance: !!omap [...]`
 * passed, its allowed_roots neither checked nor applied), `!!pairs` a list of one-key maps no
 * position could be found for. Where the tag is written (the node starts at its content), or
 * null. Pure.
 */
function taggedCollection(node: Node, text: string): { written: string; at: number } | null {
  const name = isCollection(node) ? /^tag:yaml\.org,2002:(set|omap|pairs)$/.exec(node.tag ?? '')?.[1] : undefined;
  if (name === undefined) return null;
  const start = node.range?.[0] ?? 0;
  const written = `!!${name}`;
  const tagAt = text.lastIndexOf(written, start);
  const between = tagAt < 0 ? null : text.slice(tagAt + written.length, start);
  return { written, at: between !== null && /^(\s+&\S+)?\s*$/.test(between) ? tagAt : start };
}

function firstAlias(doc: Document.Parsed): number | undefined {
  let at: number | undefined;
  forEachNode(doc.contents as Node | null, (node) => {
    if (at === undefined && isAlias(node)) at = node.range?.[0];
  });
  return at;
}

/**
 * A second key equal to an earlier one of the same map, as the parser's own check (uniqueKeys)
 * says it: at the key, `Map keys must be unique`. Keys are equal as it compares them: scalars
 * of the same value (`1` and `1.0`, not `1` and `"1"`), other keys only as the same node.
 * Linear in the document. Pure.
 */
function duplicateKeys(doc: Document.Parsed): { pos: [number, number]; code: string; message: string }[] {
  const out: { pos: [number, number]; code: string; message: string }[] = [];
  forEachNode(doc.contents as Node | null, (node) => {
    if (!isMap(node)) return;
    const seen = new Set<unknown>();
    for (const pair of node.items) {
      const key = isPair(pair) ? (pair.key as Node | null) : null;
      if (!key) continue;
      const value = isScalar(key) ? key.value : key;
      // A scalar's value stands for it: the same number, string, boolean or null.
      const id = typeof value === 'object' && value !== null ? value : `${typeof value}:${String(value)}`;
      if (seen.has(id)) {
        const at = key.range?.[0] ?? 0;
        out.push({ pos: [at, at + 1], code: 'DUPLICATE_KEY', message: 'Map keys must be unique' });
      } else seen.add(id);
    }
  });
  return out;
}

/** Visit every node (keys and values), without recursion. */
function forEachNode(root: Node | null, visit: (node: Node) => void): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isPair(node)) {
      stack.push(node.value, node.key);
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    visit(node as Node);
    if (isCollection(node)) for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
  }
}

interface Walked {
  /** The deepest node reached. */
  node: Node | null;
  /** The map pair that led to it, when it is a map value. */
  pair: Pair | null;
  /** How many segments of the path were found. */
  depth: number;
  /** The first alias met on the way, if any. */
  alias: Alias | null;
}

/** Follow a path through maps and sequences (aliases resolved). Pure. */
function walkPath(doc: Document.Parsed, path: DocPath): Walked {
  let alias: Alias | null = null;
  const step = (next: Node | null): Node | null => {
    if (alias === null && next && isAlias(next)) alias = next;
    return resolve(doc, next);
  };
  let node = step(doc.contents as Node | null);
  let pair: Pair | null = null;
  let depth = 0;
  for (const segment of path) {
    if (isMap(node)) {
      const found = pairOf(node, String(segment));
      if (!found) break;
      pair = found;
      node = step((found.value as Node | null) ?? null);
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)] as Node | undefined;
      if (item === undefined || !/^\d+$/.test(String(segment))) break;
      pair = null;
      node = step(item);
    } else {
      break;
    }
    depth++;
  }
  return { node, pair, depth, alias };
}

/**
 * Each map's pairs by key text, made at its first lookup: a diagnostic per key of a map of
 * 20,000 keys, each found by a scan of the map, took `validate` 20 s of CPU. The first pair of
 * a key wins, as a scan from the start found it.
 */
const pairsByKey = new WeakMap<object, Map<string, Pair>>();

function pairOf(map: { items: unknown[] }, key: string): Pair | undefined {
  let pairs = pairsByKey.get(map);
  if (!pairs) {
    pairs = new Map();
    for (const p of map.items) {
      if (!isPair(p)) continue;
      const k = keyText(p.key);
      if (k !== undefined && !pairs.has(k)) pairs.set(k, p);
    }
    pairsByKey.set(map, pairs);
  }
  return pairs.get(key);
}

function resolve(doc: Document.Parsed, node: Node | null): Node | null {
  return node && isAlias(node) ? ((node.resolve(doc) as Node | undefined) ?? node) : node;
}

function keyText(key: unknown): string | undefined {
  // As toJS turns keys into property names: a null key (`null:`, `~:`) becomes "".
  if (isScalar(key)) return key.value === null ? '' : String(key.value);
  return typeof key === 'string' ? key : undefined;
}

function nodeStart(node: Node | null, pair: Pair | null, doc: Document.Parsed): number {
  return node?.range?.[0] ?? (pair?.key as Node | undefined)?.range?.[0] ?? (doc.contents as Node | null)?.range?.[0] ?? 0;
}

/** Offset → 1-based line and column counted in characters (code points). Pure. */
/**
 * Offsets to 1-based line and column (in characters), counting from the last position asked
 * on the same line when it lies before: problems come in document order, and counting each
 * column from its line's start took a flow map of 300,000 unknown keys on one line hours.
 * Impure (keeps the last position).
 */
function positionsOf(text: string, lineCounter: LineCounter): (offset: number) => Position {
  let last = { line: 0, offset: 0, col: 1 };
  return (offset) => {
    const { line } = lineCounter.linePos(offset);
    const lineStart = lineCounter.lineStarts[line - 1] ?? 0;
    const from = last.line === line && last.offset <= offset ? last : { line, offset: lineStart, col: 1 };
    last = { line, offset, col: from.col + [...text.slice(from.offset, offset)].length };
    return { line, col: last.col };
  };
}

/** The yaml library's message without its trailing "at line …" part. Pure. */
function yamlMessage(message: string, code: string): string {
  if (code === 'MULTIPLE_DOCS') return 'a config file holds one YAML document; remove the second `---` and what follows [MULTIPLE_DOCS]';
  const text = message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
  return `${text || 'invalid YAML'} [${code}]`;
}
