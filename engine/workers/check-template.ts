/**
 * A prompt template checked before a run calls anyone, for what would stop the run as the
 * prompt is rendered (a repo's override with a typo passed `validate` and `doctor`, then ended
 * the run with exit 70 after its first calls, on every resume too): it parses; what strict
 * mode looks up is there. Strict mode looks up a mustache's or a section's own path
 * (`{{goal}}`, `{{#files}}`), not a helper's arguments (`{{#if nosuch}}` is false, `{{#each
 * nosuch}}` empty): so only those paths are checked, against PromptVars at the prompt's root
 * and against the items inside `#each` over the lists the engine gives (strings, whose only
 * value is `{{this}}`; milestones, with their fields). Inside `#with`, a section or a list of
 * unknown items, only `@root.…` and `../` paths back to a known context are checked. Helpers
 * are Handlebars' own; partials only those the template defines inline (or a partial block,
 * which has its fallback). Pure (given Handlebars' parser).
 */
import { existsSync } from 'node:fs';
import { readTemplateText } from './render-prompt.js';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { CompiledPipeline } from '../compile/ir.js';
import type { Diagnostic } from '../vocabulary/diagnostics.js';
import { promptVariableNames } from './render-prompt.js';

/** Handlebars' own helpers, the only ones a template can call. */
const BUILTIN_HELPERS = new Set(['if', 'unless', 'each', 'with', 'lookup', 'log']);
/** The lists the engine gives whose items are strings. */
const STRING_LISTS = new Set(['files', 'review_changes', 'findings', 'milestone.files_expected', 'milestone.done_checks', 'explore.assumptions', 'explore.info_needs', 'explore.files_expected']);
/** The fields of a milestone (PlanMilestone), with `index` and `count` of the current one. */
const MILESTONE_FIELDS = new Set(['id', 'goal', 'files_expected', 'done_checks', 'risk_level']);

/** The prompt's variables that are a text, a number or a flag: nothing to look up in them. */
const SCALARS = new Map([
  ['goal', 'text'],
  ['task_kind', 'text'],
  ['step', 'text'],
  ['phase', 'text'],
  ['previous_error', 'text'],
  ['markers_schema', 'text'],
  ['attempt', 'number'],
  ['files_truncated', 'flag'],
]);
/** The prompt's variables that are objects of known fields (PromptVars). */
const OBJECT_FIELDS = new Map([
  ['milestone', new Set([...MILESTONE_FIELDS, 'index', 'count'])],
  ['failure', new Set(['tier', 'output'])],
  ['carried_failure', new Set(['text', 'why'])],
  ['smaller_milestones', new Set(['retry_rate', 'target'])],
  ['explore', new Set(['info_needs', 'assumptions', 'files_expected'])],
]);

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

/** What a context holds: the prompt's variables, strings, named fields, or what cannot be known. */
type Context = { kind: 'root' } | { kind: 'strings'; list: string } | { kind: 'fields'; fields: Set<string>; list: string } | { kind: 'unknown' };

const requireHere = createRequire(import.meta.url);

/** What is wrong with a template's text, as diagnostics at `file`'s lines; none for a good one. */
export function checkTemplateText(text: string, file: string): Diagnostic[] {
  const parse = (requireHere('handlebars') as { parse(text: string): Node }).parse;
  let ast: Node;
  try {
    ast = parse(text);
  } catch (error) {
    const e = error as Error & { lineNumber?: number; column?: number };
    const at = / - (\d+):(\d+)$/.exec(e.message);
    const line = e.lineNumber ?? Number(at?.[1] ?? /on line (\d+)/.exec(e.message)?.[1] ?? 1);
    const col = e.column !== undefined ? e.column + 1 : at ? Number(at[2]) + 1 : 1;
    const why = e.message.split('\n').at(-1) ?? e.message;
    return [diagnostic(file, line, col, `the template does not parse: ${why}`)];
  }
  const checker = new TemplateChecker(file, inlinePartials(ast));
  checker.walk(ast, [{ kind: 'root' }], new Set());
  return checker.out;
}

/** The names of the partials a template defines inline (`{{#*inline "name"}}`). Pure. */
function inlinePartials(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) inlinePartials(n, out);
  else if (node && typeof node === 'object') {
    const n = node as Node;
    if (n.type === 'DecoratorBlock' && (n.path as PathNode).original === 'inline') {
      const name = (n.params as { value?: unknown }[])[0]?.value;
      if (typeof name === 'string') out.add(name);
    }
    for (const key of ['body', 'program', 'inverse']) if (key in n) inlinePartials(n[key], out);
  }
  return out;
}

class TemplateChecker {
  readonly out: Diagnostic[] = [];
  private readonly known = new Set(promptVariableNames());

  constructor(
    private readonly file: string,
    private readonly partials: Set<string>,
  ) {}

  /** Every statement under `node`, `contexts` innermost last, `params` the block parameters in scope. */
  walk(node: unknown, contexts: Context[], params: Set<string>): void {
    if (Array.isArray(node)) {
      for (const n of node) this.walk(n, contexts, params);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const n = node as Node;
    switch (n.type) {
      case 'Program':
        this.walk(n.body, contexts, params);
        return;
      case 'MustacheStatement':
        return this.mustache(n, contexts, params);
      case 'BlockStatement':
        return this.block(n, contexts, params);
      case 'PartialStatement': {
        const name = (n.name as PathNode).original;
        if (!this.partials.has(name)) this.report(n, `the partial "${name}" is not there: the engine registers no partials (define it in the template with {{#*inline "${name}"}}, or give a partial block its fallback)`);
        return;
      }
      case 'PartialBlockStatement':
      case 'DecoratorBlock':
        this.walk(n.program, contexts, params);
        return;
      default:
        return;
    }
  }

  /** `{{x}}` looks `x` up strictly unless it is a helper; `{{helper a b}}` calls one (its arguments are not strict). */
  private mustache(n: Node, contexts: Context[], params: Set<string>): void {
    const path = n.path as PathNode;
    // `{{"x"}}` looks up the property "x", strictly.
    if (path.type === 'StringLiteral' || path.type === 'NumberLiteral' || path.type === 'BooleanLiteral') {
      const name = String((path as unknown as { value: unknown }).value);
      if (contexts.at(-1)?.kind !== 'root' || !this.known.has(name)) this.report(path, `{{${path.original ?? JSON.stringify(name)}}} looks up a property named ${JSON.stringify(name)}, which strict mode does not find (a text is written as text, outside {{…}})`);
      return;
    }
    if (path.type !== 'PathExpression') return;
    const args = ((n.params as unknown[]) ?? []).length + (((n.hash as { pairs?: unknown[] } | undefined)?.pairs ?? []).length);
    if (args > 0) {
      if (!BUILTIN_HELPERS.has(path.original)) this.noHelper(path);
      return;
    }
    if (!BUILTIN_HELPERS.has(path.original)) this.lookup(path, contexts, params);
    // `{{log}}` logs nothing; `{{lookup}}` and the block helpers need their arguments.
    else if (path.original !== 'log') this.report(path, `{{${path.original}}} needs its arguments`);
  }

  /** A helper's block (its arguments not strict), or a section `{{#x}}`, which looks `x` up strictly. */
  private block(n: Node, contexts: Context[], params: Set<string>): void {
    const path = n.path as PathNode;
    const args = (n.params as Node[]) ?? [];
    const inner = new Set([...params, ...(((n.program as { blockParams?: string[] } | null)?.blockParams) ?? [])]);
    const helper = path.type === 'PathExpression' && BUILTIN_HELPERS.has(path.original);
    if (!helper) {
      if (args.length > 0 && path.type === 'PathExpression') this.noHelper(path);
      else if (path.type === 'PathExpression') this.lookup(path, contexts, params);
      this.walk(n.program, [...contexts, { kind: 'unknown' }], inner);
      this.walk(n.inverse, contexts, params);
      return;
    }
    const name = path.original;
    const body = name === 'each' ? this.itemsOf(args[0], contexts) : name === 'with' ? ({ kind: 'unknown' } as const) : null;
    this.walk(n.program, body ? [...contexts, body] : contexts, inner);
    this.walk(n.inverse, contexts, params);
  }

  /** What the items of the list `#each` is given hold, when it is one the engine gives. */
  private itemsOf(arg: Node | undefined, contexts: Context[]): Context {
    if (!arg || arg.type !== 'PathExpression') return { kind: 'unknown' };
    const p = arg as PathNode;
    if (p.data || contexts[contexts.length - 1 - p.depth]?.kind !== 'root') return { kind: 'unknown' };
    const list = p.parts.join('.');
    if (STRING_LISTS.has(list)) return { kind: 'strings', list };
    if (list === 'milestones') return { kind: 'fields', fields: MILESTONE_FIELDS, list };
    return { kind: 'unknown' };
  }

  /** A path strict mode looks up: its first part must be in the context it names. */
  private lookup(path: PathNode, contexts: Context[], params: Set<string>): void {
    if (path.data) {
      if (path.parts[0] === 'root' && path.parts.length > 1 && !this.known.has(path.parts[1]!)) this.report(path, this.unknown(path.parts[1]!));
      return;
    }
    if (path.depth === 0 && params.has(path.parts[0] ?? '')) return;
    const context = contexts[contexts.length - 1 - path.depth];
    const first = path.parts[0];
    if (!context || first === undefined) return;
    if (context.kind === 'root' && !this.known.has(first)) this.report(path, this.unknown(first));
    else if (context.kind === 'root' && path.parts.length > 1) this.field(path, first, path.parts[1]!);
    if (context.kind === 'strings') this.report(path, `the items of ${context.list} are strings: inside {{#each ${context.list}}} write {{this}} (and {{../${first}}} for the prompt's own ${first})`);
    if (context.kind === 'fields' && !context.fields.has(first)) this.report(path, `a milestone of ${context.list} has no "${first}": its fields are ${[...context.fields].join(', ')}`);
  }

  /**
   * `{{x.y}}` at the prompt's root: strict mode looks `y` up in `x`, which fails for a text or a
   * number (`{{goal.length}}` stopped the run as its prompt was rendered) and for a field the
   * engine's object has not.
   */
  private field(path: PathNode, first: string, second: string): void {
    if (SCALARS.has(first)) this.report(path, `"${first}" is a ${SCALARS.get(first)}: {{${first}.${second}}} looks up a field it has not (write {{${first}}})`);
    const fields = OBJECT_FIELDS.get(first);
    if (fields && !fields.has(second)) this.report(path, `${first} has no "${second}": its fields are ${[...fields].join(', ')}`);
  }

  /** A call of a helper the template cannot have. */
  private noHelper(path: PathNode): void {
    this.report(path, `"${path.original}" is no helper: the engine registers none, Handlebars has ${[...BUILTIN_HELPERS].join(', ')}`);
  }

  private unknown(name: string): string {
    return `"${name}" is not a variable the engine gives a prompt (strict mode: the run would stop at this template); the variables: ${[...this.known].sort().join(', ')}`;
  }

  private report(node: Node, message: string): void {
    const at = node.loc?.start;
    this.out.push(diagnostic(this.file, at?.line ?? 1, (at?.column ?? 0) + 1, message));
  }
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
      text = readTemplateText(file);
    } catch (error) {
      out.push(diagnostic(shown(file), 1, 1, `cannot read the template: ${(error as Error).message}`));
      continue;
    }
    out.push(...checkTemplateText(text, shown(file)));
  }
  return out;
}

function diagnostic(file: string, line: number, col: number, message: string): Diagnostic {
  return { code: 'E_TEMPLATE', severity: 'error', message, file, line, col, hint: 'docs/workers.md, "Prompt templates", lists what a template can read' };
}
