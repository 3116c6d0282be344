import { createHash } from 'node:crypto';
import type { DocPath } from '../vocabulary/rule-context.js';
import { toPointer } from '../vocabulary/rule-context.js';
import { parseSource, type ParsedSource, type Position } from './parse-source.js';

/**
 * Parses of the config files the engine ships (the default pipeline and policy, the golden
 * and hostile tasks, their policies and scenarios), made at build time: every run reads the
 * default policy, the demo five such files, and parsing YAML on a cold start costs more than
 * the rest of loading them. A file is known by the sha256 of its whole text, so a file edited
 * since the build (or any user's file) is parsed as usual; a known one gives the same data
 * and the same positions as a parse, without loading the parser.
 */
export interface KnownParse {
  /** The document's data as JSON text (a fresh copy for every caller). */
  json: string;
  /** By JSON pointer of every node in the data: [line, col] of locate, then [line, col] of locateKey. */
  at: Record<string, [number, number, number, number]>;
}

let table: Record<string, KnownParse> | null = null;
let loadTable: (() => Record<string, KnownParse>) | null = null;
let knownLengths: ReadonlySet<number> | null = null;

/**
 * Adds the build's table, read when a file is first parsed (the CLI bundle registers it).
 * `lengths`, when given, are the lengths of the texts in it: a text of another length is not
 * in it, and is parsed without reading the table (150 KB of JSON, 5–8 ms here) or hashing the
 * text. `validate` of a user's own files no longer reads it; a run still does (every run loads
 * the shipped default policy).
 */
export function registerKnownParses(load: () => Record<string, KnownParse>, lengths?: readonly number[]): void {
  loadTable = load;
  table = null;
  knownLengths = lengths ? new Set(lengths) : null;
}

/** The lengths a table's texts have (for registerKnownParses), from those texts. Pure. */
export function lengthsOf(texts: readonly string[]): number[] {
  return [...new Set(texts.map((text) => text.length))].sort((a, b) => a - b);
}

/** The key of a text in the table. Pure. */
export function textKey(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Stage 1 of loading (see parseSource): from the build's table when the text is a known
 * one, else parsed. Impure only in reading the table once.
 */
export function parseConfigText(text: string, file: string): ParsedSource {
  if (knownLengths !== null && !knownLengths.has(text.length)) return parseSource(text, file);
  if (loadTable !== null && table === null) {
    try {
      table = loadTable();
    } catch {
      table = {}; // a table that cannot be read: every file is parsed
    }
  }
  const known = table?.[textKey(text)];
  return known ? knownSource(known, text, file) : parseSource(text, file);
}

/**
 * The table's entry of a text, or null when the text has diagnostics (those are always
 * parsed) or data JSON cannot carry exactly. Pure.
 */
export function knownParseOf(text: string, file: string): KnownParse | null {
  const source = parseSource(text, file);
  if (source.diagnostics.length > 0 || source.data === null || !isPlainJson(source.data)) return null;
  const at: KnownParse['at'] = {};
  for (const p of pathsOf(source.data)) {
    const v = source.locate(p);
    const k = source.locateKey(p);
    at[toPointer(p)] = [v.line, v.col, k.line, k.col];
  }
  return { json: JSON.stringify(source.data), at };
}

/** A source answering from the table; a path the table lacks is located by a real parse. */
function knownSource(known: KnownParse, text: string, file: string): ParsedSource {
  let parsed: ParsedSource | undefined;
  const full = () => (parsed ??= parseSource(text, file));
  const pick = (p: DocPath, key: boolean): Position | null => {
    const a = known.at[toPointer(p)];
    return a ? (key ? { line: a[2], col: a[3] } : { line: a[0], col: a[1] }) : null;
  };
  return {
    file,
    text,
    get doc() {
      return full().doc;
    },
    data: JSON.parse(known.json) as unknown,
    diagnostics: [],
    locate: (p) => pick(p, false) ?? full().locate(p),
    locateKey: (p) => pick(p, true) ?? full().locateKey(p),
  };
}

/** Every path into the data, the root first. Pure. */
function pathsOf(data: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(data)) data.forEach((v, i) => out.push(...pathsOf(v, [...at, i])));
  else if (data !== null && typeof data === 'object') for (const [k, v] of Object.entries(data)) out.push(...pathsOf(v, [...at, k]));
  return out;
}

/** Data that JSON text gives back as it is: no non-finite number, no other kind of object. Pure. */
function isPlainJson(data: unknown): boolean {
  if (data === null || typeof data === 'string' || typeof data === 'boolean') return true;
  if (typeof data === 'number') return Number.isFinite(data) && !Object.is(data, -0);
  if (Array.isArray(data)) return data.every(isPlainJson);
  if (typeof data !== 'object' || Object.getPrototypeOf(data) !== Object.prototype) return false;
  return Object.keys(data).every((k) => k !== '__proto__') && Object.values(data).every(isPlainJson);
}
