import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { templatesDir } from '../paths.js';
import { contractVersion } from '../version.js';
import type { Phase } from './types.js';

export interface PromptHeaders {
  phase: Phase;
  step: string;
  milestone: number | null;
  attempt: number;
  repairOf?: string | null;
}

export interface RenderPromptOptions {
  /** Template name: `templates/prompts/<name>.md`, or the repo's override. */
  template: string;
  vars: Record<string, unknown>;
  headers: PromptHeaders;
  /** `<repo>/.engine/templates`: a `<name>.md` there replaces the built-in one. */
  overrideDir?: string;
}

/** The header block the engine puts first in every prompt; templates cannot drop it. Pure. */
export function renderHeaders(h: PromptHeaders): string {
  const lines = [
    `engine-phase: ${h.phase}`,
    `engine-contract: ${contractVersion}`,
    `engine-step: ${h.step}`,
    `engine-milestone: ${h.milestone ?? '-'}`,
    `engine-attempt: ${h.attempt}`,
  ];
  if (h.repairOf) lines.push(`engine-repair-of: ${h.repairOf}`);
  return lines.join('\n') + '\n';
}

const cache = new Map<string, HandlebarsTemplateDelegate>();

/**
 * Render a prompt: the header block, a blank line, then the Handlebars template in strict
 * mode (a missing variable is an error, not an empty string). Impure (reads the template).
 */
export function renderPrompt(o: RenderPromptOptions): string {
  const override = o.overrideDir ? path.join(o.overrideDir, `${o.template}.md`) : null;
  const file = override && existsSync(override) ? override : path.join(templatesDir, 'prompts', `${o.template}.md`);
  if (!existsSync(file)) throw new Error(`no prompt template "${o.template}" (looked for ${file})`);
  let compiled = cache.get(file);
  if (!compiled) {
    compiled = Handlebars.compile(readFileSync(file, 'utf8'), { strict: true, noEscape: true });
    if (file !== override) cache.set(file, compiled);
  }
  return `${renderHeaders(o.headers)}\n${compiled(o.vars)}`;
}
