/**
 * Where in a worker plugin's own file its import failed, as `line:col`: the syntax error Node
 * found in it, or the line of it whose code threw. A plugin that did not load was reported as
 * `failed to load: Unexpected token '}'`, with nothing to say where.
 */
import { readFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runCaptured } from '../proc/spawn-via-shell.js';
import { stackOf } from '../util/message-of.js';

export interface SourcePlace {
  line: number;
  /** null: Node printed no caret (a line past about a thousand characters). */
  col: number | null;
}

/** `file:line:col`, or `file:line` when the column is not known. Pure. */
export function describePlace(file: string, place: SourcePlace): string {
  return place.col === null ? `${file}:${place.line}` : `${file}:${place.line}:${place.col}`;
}

/**
 * The place of a syntax error as Node prints it above the error (`<name>:<line>`, the source
 * line, then a caret under the column), when the text begins so and names `name`. Pure.
 */
export function placeAboveError(text: string, ...names: string[]): SourcePlace | null {
  const lines = text.split('\n');
  const head = /^(.*):(\d+)$/.exec(lines[0] ?? '');
  // An ES module's error names it by URL (a missing named export: `file:///…/impl.mjs:2`).
  if (!head || !names.some((name) => head[1] === name || head[1] === urlOf(name))) return null;
  const caret = (lines[2] ?? '').indexOf('^');
  return { line: Number(head[2]), col: caret >= 0 ? caret + 1 : null };
}

/** A path's file URL, or null for a name that is none ('[stdin]'). Pure. */
function urlOf(name: string): string | null {
  return name.startsWith('/') ? pathToFileURL(name).href : null;
}

/** The first frame of a stack that lies in `file` (by path or file URL). Pure. */
export function placeInStack(stack: string, ...files: string[]): SourcePlace | null {
  for (const line of stack.split('\n')) {
    const m = /(?:\(|at )((?:file:\/\/)?\/[^()]*?):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    let where = m[1]!;
    if (where.startsWith('file://')) {
      try {
        where = fileURLToPath(where);
      } catch {
        continue;
      }
    }
    if (files.includes(where)) return { line: Number(m[2]), col: Number(m[3]) };
  }
  return null;
}

/**
 * Where `file`'s import failed with `thrown`, or null when that is not in `file` (a module it
 * imports, say). A syntax error of an ES module has no place in its stack on Node 20: `file` is
 * then checked by `node --check` as a module, its text on stdin (nothing of it runs). Impure.
 */
export async function placeOfLoadError(file: string, thrown: unknown): Promise<SourcePlace | null> {
  const stack = stackOf(thrown);
  // Node names a module by its real path: one reached through a link (pnpm, npm link, macOS's
  // /tmp) was told with no place, or the place of a check that was not its own.
  const names = [...new Set([file, realOf(file)])];
  const above = placeAboveError(stack, ...names);
  if (above) return above;
  const inStack = placeInStack(stack, ...names);
  if (inStack) return inStack;
  if (!(thrown instanceof SyntaxError)) return null;
  // The check below parses the text as an ES module: for CommonJS Node's own place (above) is it.
  if (names.some((n) => n.endsWith('.cjs'))) return null;
  let text: Buffer;
  try {
    text = await readFile(file);
  } catch {
    return null;
  }
  if (text.length === 0) return null;
  // No NODE_OPTIONS or other variable of the user's: only the syntax of the text is asked.
  const checked = await runCaptured(process.execPath, ['--input-type=module', '--check'], '/', {}, text, { timeoutMs: 10_000 });
  return checked.exitCode === 1 ? placeAboveError(checked.stderr.toString('utf8'), '[stdin]') : null;
}

/** A path's real path, or the path itself when it has none (gone meanwhile). Impure. */
function realOf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
