/**
 * Prompt rendering: a Handlebars template (strict mode: a missing variable is an error) from
 * `<repo>/.engine/templates/<name>.md` when the repo overrides it, else the engine's
 * `templates/prompts/<name>.md`, always preceded by the engine header block (contract §4),
 * which no template can drop. Reads the template file; otherwise pure.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { templatesDir } from '../paths.js';
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
  previous_error: null,
  markers_schema: '',
  files: [],
  files_truncated: false,
};

export function renderPrompt(options: RenderPromptOptions): string {
  const file = locateTemplate(options.template, options.overrideDir ?? null);
  const render = compileTemplate(file);
  const vars = { ...DEFAULTS, step: options.headers.step, phase: options.headers.repairOf ?? options.headers.phase, attempt: options.headers.attempt, ...options.vars };
  let body: string;
  try {
    body = render(vars);
  } catch (e) {
    throw new Error(`prompt template ${file}: ${(e as Error).message}`);
  }
  return `${formatHeaders(options.headers)}\n\n${body.trim()}\n`;
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
  const text = readFileSync(locateTemplate(name, overrideDir), 'utf8');
  const word = new RegExp(`\\b${variable}\\b(?![_-])`);
  return [...text.matchAll(/{{([^}]*)}}/g)].some((m) => word.test(m[1]!));
}

const compiled = new Map<string, { text: string; fn: HandlebarsTemplateDelegate }>();
function compileTemplate(file: string): HandlebarsTemplateDelegate {
  const text = readFileSync(file, 'utf8');
  const hit = compiled.get(file);
  if (hit && hit.text === text) return hit.fn;
  const fn = Handlebars.compile(text, { strict: true, noEscape: true });
  compiled.set(file, { text, fn });
  return fn;
}
