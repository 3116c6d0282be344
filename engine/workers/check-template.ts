/**
 * A prompt template checked before a run calls anyone: it parses, and every variable it reads
 * from the prompt's root is one the engine gives (strict mode makes any other an error as the
 * prompt is rendered: a repo's override with a typo passed `validate` and `doctor`, then ended
 * the run with exit 70 after its first calls, on every resume too). Helpers are Handlebars'
 * own; the engine registers none and no partials. Inside `#each` and `#with` the context is an
 * item of the run's data, which cannot be known before the run: only `@root.…` and `../` paths
 * that reach the root are checked there. Pure (given Handlebars' parser).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { CompiledPipeline } from '../compile/ir.js';
import type { Diagnostic } from '../vocabulary/diagnostics.js';
import { promptVariableNames } from './render-prompt.js';

/** Handlebars' own helpers, the only ones a template can call. */
const BUILTIN_HELPERS = new Set(['if', 'unless', 'each', 'with', 'lookup', 'log']);
/** Helpers whose block gives its body another context. */
const CONTEXT_HELPERS = new Set(['each', 'with']);

interface Loc {
  start: { line: number; column: number };
}
interface Node {
  type: string;
  loc?: Loc;
  [key: string]: unknown;
}
interface PathNode extends Node {
  data: boolean;
  depth: number;
  parts: string[];
  original: string;
}

const requireHere = createRequire(import.meta.url);

/** What is wrong with a template's text, as diagnostics at `file`'s lines; none for a good one. */
export function checkTemplateText(text: string, file: string): Diagnostic[] {
  const parse = (requireHere('handlebars') as { parse(text: string): Node }).parse;
  let ast: Node;
  try {
    ast = parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const line = Number(/on line (\d+)/.exec(message)?.[1] ?? 1);
    const why = message.split('\n').at(-1) ?? message;
    return [diagnostic(file, line, 1, `the template does not parse: ${why}`)];
  }
  const known = new Set(promptVariableNames());
  const out: Diagnostic[] = [];
  walk(ast, 0, (path, depth) => {
    const at = path.loc?.start;
    const where = (message: string) => out.push(diagnostic(file, at?.line ?? 1, (at?.column ?? 0) + 1, message));
    if (path.data) {
      if (path.parts[0] === 'root' && path.parts.length > 1 && !known.has(path.parts[1]!)) where(unknown(path.parts[1]!, known));
      return;
    }
    // A path from the root: at the top, or `../` back up to it from inside #each/#with.
    if (path.depth !== depth || path.parts.length === 0) return;
    if (!known.has(path.parts[0]!)) where(unknown(path.parts[0]!, known));
  }, (name, node) => {
    const at = node.loc?.start;
    if (name.startsWith('>')) out.push(diagnostic(file, at?.line ?? 1, (at?.column ?? 0) + 1, `the partial "${name.slice(1)}" is not there: the engine registers no partials`));
    else if (!BUILTIN_HELPERS.has(name)) out.push(diagnostic(file, at?.line ?? 1, (at?.column ?? 0) + 1, `"${name}" is no helper: the engine registers none, Handlebars has ${[...BUILTIN_HELPERS].join(', ')}`));
  });
  return out;
}

/**
 * The problems of the templates in `overrideDir` (a repo's `.engine/templates`, or a run's copy
 * of it) that the pipeline's worker steps and their repairs would render; the shipped ones are
 * checked by the engine's own tests. `shown`: how to name a template file to the user.
 * Impure (reads the templates).
 */
export function templateProblems(ir: CompiledPipeline, overrideDir: string, shown: (file: string) => string = (f) => f): Diagnostic[] {
  const names = new Set<string>(['repair']);
  for (const step of ir.steps) if (step.type === 'worker') names.add(step.template ?? step.phase ?? '');
  const out: Diagnostic[] = [];
  for (const name of [...names].sort()) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) continue;
    const file = path.join(overrideDir, `${name}.md`);
    if (!existsSync(file)) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      out.push(diagnostic(shown(file), 1, 1, `cannot read the template: ${(error as Error).message}`));
      continue;
    }
    out.push(...checkTemplateText(text, shown(file)));
  }
  return out;
}

function unknown(name: string, known: Set<string>): string {
  return `"${name}" is not a variable the engine gives a prompt (strict mode: the run would stop at this template); the variables: ${[...known].sort().join(', ')}`;
}

function diagnostic(file: string, line: number, col: number, message: string): Diagnostic {
  return { code: 'E_TEMPLATE', severity: 'error', message, file, line, col, hint: 'docs/workers.md, "Prompt templates", lists what a template can read' };
}

/**
 * Every path a template reads, with how many context levels deep it is read (0: the prompt's
 * root); every helper it calls, by name. Partials count as an unknown helper (none is registered).
 */
function walk(node: unknown, depth: number, onPath: (p: PathNode, depth: number) => void, onHelper: (name: string, node: Node) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, depth, onPath, onHelper);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const n = node as Node;
  switch (n.type) {
    case 'Program':
      walk(n.body, depth, onPath, onHelper);
      return;
    case 'PathExpression':
      onPath(n as PathNode, depth);
      return;
    case 'PartialStatement':
    case 'PartialBlockStatement':
      onHelper(`>${(n.name as PathNode | undefined)?.original ?? ''}`, n);
      return;
    case 'MustacheStatement':
    case 'SubExpression':
    case 'BlockStatement': {
      const path = n.path as PathNode;
      const params = (n.params as unknown[]) ?? [];
      const pairs = ((n.hash as { pairs?: { value: unknown }[] } | undefined)?.pairs ?? []).map((p) => p.value);
      const helper = n.type === 'BlockStatement' || params.length > 0 || pairs.length > 0;
      if (helper && path.type === 'PathExpression') onHelper(path.original, n);
      else walk(path, depth, onPath, onHelper);
      walk(params, depth, onPath, onHelper);
      walk(pairs, depth, onPath, onHelper);
      if (n.type === 'BlockStatement') {
        const inner = CONTEXT_HELPERS.has(path.original) ? depth + 1 : depth;
        walk(n.program, inner, onPath, onHelper);
        walk(n.inverse, depth, onPath, onHelper);
      }
      return;
    }
    default:
      return;
  }
}
