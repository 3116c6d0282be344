import type { EngineHeaders } from './types.js';
import { trimOf } from '../util/trim-end.js';

// The value is trimmed in code: `[ \t]*(.*?)[ \t]*$` was tried from every blank of a long run (util/trim-end.ts).
const HEADER_LINE = /^engine-([a-z-]+):(.*)$/;

/**
 * The last engine header block in a text (contract §4): consecutive `engine-<name>: value`
 * lines that include `engine-phase`. A CLI may wrap the prompt in its own context, so the
 * last block wins. Pure.
 */
export function findEngineHeaders(text: string): EngineHeaders | null {
  let found: EngineHeaders | null = null;
  let block: Record<string, string> | null = null;
  for (const line of text.split(/\r?\n/)) {
    const m = HEADER_LINE.exec(line);
    if (m) {
      block ??= {};
      block[m[1]!] = trimOf(m[2]!, ' \t');
      continue;
    }
    if (block) found = toHeaders(block) ?? found;
    block = null;
  }
  if (block) found = toHeaders(block) ?? found;
  return found;
}

/** `engine-phase: plan, engine-step: plan, …` for messages and logs. Pure. */
export function describeHeaders(h: EngineHeaders): string {
  const parts = [`engine-phase: ${h.phase}`];
  if (h.step !== undefined) parts.push(`engine-step: ${h.step}`);
  if (h.milestone !== undefined) parts.push(`engine-milestone: ${h.milestone}`);
  if (h.attempt !== undefined) parts.push(`engine-attempt: ${h.attempt}`);
  if (h.repairOf !== undefined) parts.push(`engine-repair-of: ${h.repairOf}`);
  return parts.join(', ');
}

function toHeaders(block: Record<string, string>): EngineHeaders | null {
  const phase = block['phase'];
  if (phase === undefined) return null;
  const h: EngineHeaders = { phase };
  if (block['contract'] !== undefined) h.contract = block['contract'];
  if (block['step'] !== undefined) h.step = block['step'];
  if (block['milestone'] !== undefined) h.milestone = block['milestone'];
  if (block['attempt'] !== undefined) h.attempt = block['attempt'];
  if (block['repair-of'] !== undefined) h.repairOf = block['repair-of'];
  return h;
}
