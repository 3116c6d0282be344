/**
 * Prompt rendering: a Handlebars template (strict mode: a missing variable is an error) from
 * `<repo>/.engine/templates/<name>.md` when the repo overrides it, else the engine's
 * `templates/prompts/<name>.md`, always preceded by the engine header block (contract §4),
 * which no template can drop. Reads the template file; otherwise pure.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import runtimeModule from 'handlebars/runtime.js';
import { packageRoot, templatesDir } from '../paths.js';
import { readRegularFileSync } from '../util/read-or-null.js';
import { messageOf } from '../util/message-of.js';
import { MAX_CONFIG_BYTES } from '../config/load-file.js';
import { formatHeaders, type PromptHeaders } from './prompt-headers.js';
import type { ExploreMarkers } from '../generated/markers-explore.js';
import type { PlanMilestone } from '../generated/markers-plan.js';

export type { PromptHeaders } from './prompt-headers.js';
export { formatHeaders as renderHeaders } from './prompt-headers.js';

/** The variables every template may use. Keep prompts lean: failure output only on retries. */
export interface PromptVars {
  goal: string;
  /** greenfield | incremental, when the task says. */
  task_kind: string | null;
  step: string;
  /** The step's phase (for repair: the phase being repaired). */
  phase: string;
  attempt: number;
  /** The current milestone (1-based index, count of milestones), or null outside milestones. */
  milestone: (PlanMilestone & { index: number; count?: number }) | null;
  /** The plan's milestones (for review of the plan, or context). */
  milestones: PlanMilestone[];
  /** What the explore step found, when it ran. */
  explore: ExploreMarkers | null;
  /** On a retry after failed verification: the tier and the tail of its log. */
  failure: { tier: string; output: string } | null;
  /** On a retry after review: the changes the reviewer asked for. */
  review_changes: string[] | null;
  /** The previous milestone's failures, when it went over its calls or time target (docs/kpis.md). */
  carried_failure: { text: string; why: string } | null;
  /** Recent runs retried too often: the planner is asked for smaller milestones (docs/kpis.md). */
  smaller_milestones: { retry_rate: number; target: number } | null;
  /** For a review: what the engine found in the change that kept it from approving it on its own (guards.ts `reviewFindings`), one line each; else empty. */
  findings: string[];
  /** For a repair prompt: why the previous answer's markers were rejected. */
  previous_error: string | null;
  /** The phase's markers JSON schema text. */
  markers_schema: string;
  /** Repo file list, trimmed; files_truncated says so. */
  files: string[];
  files_truncated: boolean;
}

export interface RenderPromptOptions {
  /** Template name: explore, plan, implement, review, repair, or a pipeline's own. */
  template: string;
  /** Missing keys of PromptVars default to null/empty; extra keys are available too. */
  vars: Partial<PromptVars> | Record<string, unknown>;
  headers: PromptHeaders;
  /** `<repo>/.engine/templates`: a `<template>.md` there wins. */
  overrideDir?: string | null;
}

const DEFAULTS: PromptVars = {
  goal: '',
  task_kind: null,
  step: '',
  phase: '',
  attempt: 1,
  milestone: null,
  milestones: [],
  explore: null,
  failure: null,
  review_changes: null,
  carried_failure: null,
  smaller_milestones: null,
  findings: [],
  previous_error: null,
  markers_schema: '',
  files: [],
  files_truncated: false,
};

/** The variables every template can read from the prompt's root (check-template.ts checks them). Pure. */
export function promptVariableNames(): string[] {
  return Object.keys(DEFAULTS);
}

/**
 * A template the check passed that still fails as it is rendered (`{{goal.length}}`: strict
 * mode looks a field up in a string): the step stops `worker_failed`, resumable once the
 * template is mended (`resume --reload-config`), not an internal error (exit 70) on every resume.
 */
export class PromptTemplateError extends Error {
  override name = 'PromptTemplateError';
}

export function renderPrompt(options: RenderPromptOptions): string {
  const file = locateTemplate(options.template, options.overrideDir ?? null);
  const render = compileTemplate(file);
  const vars = { ...DEFAULTS, step: options.headers.step, phase: options.headers.repairOf ?? options.headers.phase, attempt: options.headers.attempt, ...options.vars };
  let body: string;
  try {
    body = render(vars);
  } catch (e) {
    throw new PromptTemplateError(`the prompt template ${file} could not be rendered: ${messageOf(e)}`);
  }
  return `${formatHeaders(options.headers)}\n\n${quoteHeaderLines(body.trim())}\n`;
}

/**
 * A body line that reads as a header line (`engine-<name>:`, in any case, after any blank)
 * becomes a quote (`> ` in front): the body carries text workers wrote (a planner's goals, a
 * reviewer's changes, a failure's output), and a router takes the last header block of a
 * prompt, so such a line could route a later call as another phase or milestone. Lines end
 * at \n, \r, U+2028 and U+2029, as a JavaScript `^` in multiline mode sees them. Pure.
 */
export function quoteHeaderLines(body: string): string {
  return body.replace(/(^|[\n\r\u2028\u2029])([ \t\f\v]*engine-[a-z0-9_-]*[ \t]*:)/gi, '$1> $2');
}

/** The file a template name resolves to: the repo's override, else the engine's own. */
export function locateTemplate(name: string, overrideDir: string | null): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`invalid prompt template name "${name}"`);
  if (overrideDir) {
    const own = path.join(overrideDir, `${name}.md`);
    if (existsSync(own)) return own;
  }
  const builtin = path.join(templatesDir, 'prompts', `${name}.md`);
  if (!existsSync(builtin)) throw new Error(`no prompt template "${name}" (looked in ${overrideDir ? `${overrideDir} and ` : ''}${path.dirname(builtin)})`);
  return builtin;
}

/**
 * Whether the template a name resolves to mentions `variable` inside a `{{…}}` (so a caller
 * can skip computing what no template reads). Impure (reads the template).
 */
export function templateUses(name: string, overrideDir: string | null, variable: string): boolean {
  const text = readTemplateText(locateTemplate(name, overrideDir));
  const word = new RegExp(`\\b${variable}\\b(?![_-])`);
  return [...text.matchAll(/{{([^}]*)}}/g)].some((m) => word.test(m[1]!));
}

/**
 * A template's text: a regular file of at most MAX_CONFIG_BYTES, as config files are read. A
 * FIFO at `.engine/templates/plan.md` held `engine run` in open() for good, deaf to Ctrl-C and
 * SIGTERM (the event loop never ran their handlers); a device never ends. Throws (ENOTREG,
 * EFBIG, as readFile does otherwise). Impure.
 */
export function readTemplateText(file: string): string {
  return readRegularFileSync(file, 'utf8', MAX_CONFIG_BYTES);
}

const COMPILE_OPTIONS = { strict: true, noEscape: true } as const;

/** Handlebars' runtime: runs precompiled templates, without the compiler (its typings declare nothing of it). */
const HandlebarsRuntime = runtimeModule as unknown as Pick<typeof import('handlebars'), 'template' | 'VERSION'>;

const compiled = new Map<string, { text: string; fn: HandlebarsTemplateDelegate }>();
function compileTemplate(file: string): HandlebarsTemplateDelegate {
  const text = readTemplateText(file);
  const hit = compiled.get(file);
  if (hit && hit.text === text) return hit.fn;
  // A shipped template the build precompiled runs on Handlebars' runtime alone; compiling one
  // cold costs ~10 ms of the compiler's own start, and loading the compiler as much again.
  const spec = precompiledSpec(templateKey(text));
  const fn = spec ? HandlebarsRuntime.template(spec as TemplateSpecification) : handlebarsCompiler().compile(text, COMPILE_OPTIONS);
  compiled.set(file, { text, fn });
  return fn;
}

type TemplateSpecification = Parameters<typeof HandlebarsRuntime.template>[0];

/** CommonJS require from this module: the precompiled table and Handlebars' compiler, both loaded on first need. */
const requireHere = createRequire(import.meta.url);

/** The whole of Handlebars, its compiler included: loaded only for a template the build did not precompile. Impure (loads it once). */
function handlebarsCompiler(): typeof import('handlebars') {
  return requireHere('handlebars') as typeof import('handlebars');
}

/** A template's key in the precompiled table: its text and the Handlebars version that compiles it. Pure. */
function templateKey(text: string): string {
  return createHash('sha256').update(`${HandlebarsRuntime.VERSION}\0${text}`).digest('hex');
}

/** Where the build writes the shipped templates, precompiled (scripts/bundle-cli.mjs). */
const PRECOMPILED_FILE = path.join(packageRoot, 'dist', 'precompiled-templates.cjs');
let precompiled: Record<string, unknown> | null = null;

/** The precompiled spec of a template text, when the build made one for exactly that text. Impure (loads the table once). */
function precompiledSpec(key: string): unknown {
  if (!precompiled) {
    try {
      precompiled = existsSync(PRECOMPILED_FILE) ? (requireHere(PRECOMPILED_FILE) as Record<string, unknown>) : {};
    } catch {
      precompiled = {};
    }
  }
  return Object.hasOwn(precompiled, key) ? precompiled[key] : undefined;
}

/**
 * The shipped prompt templates precompiled, as a CommonJS module keyed by templateKey, for the
 * build to write to dist/. A template edited after the build has another key and is compiled
 * as before. Impure (reads the templates).
 */
export function precompileShippedTemplates(): string {
  const dir = path.join(templatesDir, 'prompts');
  const entries = readdirSync(dir)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => {
      const text = readFileSync(path.join(dir, name), 'utf8');
      return `// ${name}\nexports[${JSON.stringify(templateKey(text))}] = ${handlebarsCompiler().precompile(text, COMPILE_OPTIONS)};\n`;
    });
  return `'use strict';\n// Generated by scripts/bundle-cli.mjs: the shipped prompt templates, precompiled.\n/* c8 ignore start */\n${entries.join('\n')}/* c8 ignore stop */\n`;
}
