import type { Target } from '../generated/pipeline.js';
import type { IrTarget } from './ir.js';
import type { StopReason } from '../vocabulary/stop-reasons.js';
import type { DocPath } from '../vocabulary/rule-context.js';

/** A target as written, with the document path where it was written. */
export interface WrittenTarget {
  target: Target;
  path: DocPath;
}

/** Normalize a written target to the IR form. Pure; assumes the schema held. */
export function toIrTarget(t: Target): IrTarget {
  if (typeof t === 'string') return { kind: 'step', step: t };
  if (t.stop) return { kind: 'stop', reason: t.stop as StopReason };
  const out: IrTarget = { kind: 'step', step: t.goto ?? '' };
  if (t.attempts !== undefined) out.attempts = t.attempts;
  if (t.exhausted !== undefined) out.exhausted = toIrTarget(t.exhausted);
  return out;
}

/** Every step id an IR target can lead to (the exhausted branch included). Pure. */
export function stepsOf(t: IrTarget): string[] {
  if (t.kind === 'stop') return [];
  return [t.step, ...(t.exhausted ? stepsOf(t.exhausted) : [])];
}

/** True when a stop is reachable directly from this target. Pure. */
export function stopsIn(t: IrTarget): boolean {
  return t.kind === 'stop' || (t.exhausted !== undefined && stopsIn(t.exhausted));
}
