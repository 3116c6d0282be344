import type { Diagnostic } from './diagnostics.js';

/** A path into a YAML/JSON document: keys and array indexes. */
export type DocPath = readonly (string | number)[];

/**
 * What a stage-3 rule sees: the schema-valid data of one file and a way to report a problem
 * at the node a path names (or its nearest existing parent). Rules are tiny named functions
 * `(ctx) => void` that push diagnostics through `report`; they never print or throw.
 */
export interface RuleContext<T> {
  file: string;
  data: T;
  /** 1-based position of the node at `path`, falling back to the nearest existing parent. */
  locate(path: DocPath): { line: number; col: number };
  report(code: string, path: DocPath, message: string, hint?: string): void;
}

export type Rule<T> = (ctx: RuleContext<T>) => void;

/** Run rules over data with a locator; returns their diagnostics in order. Pure. */
export function runRules<T>(
  rules: readonly Rule<T>[],
  file: string,
  data: T,
  locate: (path: DocPath) => { line: number; col: number },
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const ctx: RuleContext<T> = {
    file,
    data,
    locate,
    report(code, path, message, hint) {
      const { line, col } = locate(path);
      out.push({ code, severity: 'error', message, file, line, col, pointer: toPointer(path), ...(hint ? { hint } : {}) });
    },
  };
  for (const rule of rules) rule(ctx);
  return out;
}

/** JSON pointer for a path. Pure. */
export function toPointer(path: DocPath): string {
  return path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}
