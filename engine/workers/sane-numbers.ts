/**
 * The numbers a worker reports about itself (tokens, cost), as the engine's records can hold
 * them. A worker's output is untrusted: a cost of -1000 let it spend past `budgets.cost_usd`,
 * and a token count of 0.5 or 1e308 made the engine write a state.json its own schema refuses
 * (resume then refused the run) and timeline events its report left out. Every parser's
 * outcome and every usage event passes through here (transcript-sink.ts). Pure.
 */
import type { NormalizedEvent, ParsedOutcome, Usage } from './types.js';

/** A token count: a whole number from 0 to Number.MAX_SAFE_INTEGER (a fraction is cut); anything else 0. */
export function tokenCount(value: unknown): number {
  if (typeof value !== 'number' || !(value > 0)) return 0;
  return value >= Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : Math.floor(value);
}

/**
 * A call's cost in USD: a finite number of at least 0, at most Number.MAX_SAFE_INTEGER (so a
 * run's sum stays finite); a negative, NaN or missing cost is unknown (null), never a refund.
 */
export function costUsd(value: unknown): number | null {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) return null;
  return Math.min(value, Number.MAX_SAFE_INTEGER);
}

/** Usage with each count a tokenCount; null for what is not an object (a plugin may give anything). */
export function saneUsage(usage: unknown): Usage | null {
  if (typeof usage !== 'object' || usage === null) return null;
  const u = usage as Record<string, unknown>;
  return { input_tokens: tokenCount(u.input_tokens), output_tokens: tokenCount(u.output_tokens), cached_input_tokens: tokenCount(u.cached_input_tokens) };
}

/** Two usages added, the sums kept within tokenCount. */
export function addSaneUsage(a: Usage | null, b: Usage): Usage {
  if (!a) return { ...b };
  return {
    input_tokens: tokenCount(a.input_tokens + b.input_tokens),
    output_tokens: tokenCount(a.output_tokens + b.output_tokens),
    cached_input_tokens: tokenCount(a.cached_input_tokens + b.cached_input_tokens),
  };
}

/** A parser's outcome with its usage and cost as the records keep them. */
export function saneOutcome(parsed: ParsedOutcome): ParsedOutcome {
  return { ...parsed, usage: saneUsage(parsed.usage), costUsd: costUsd(parsed.costUsd) };
}

/** A usage event with its counts as the records keep them; any other event as it is. */
export function saneEvent(event: NormalizedEvent): NormalizedEvent {
  if (event.kind !== 'usage') return event;
  const cached = event.cached_input_tokens === undefined ? {} : { cached_input_tokens: tokenCount(event.cached_input_tokens) };
  return { kind: 'usage', input_tokens: tokenCount(event.input_tokens), output_tokens: tokenCount(event.output_tokens), ...cached };
}
