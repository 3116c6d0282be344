import type { IrStep, IrTarget } from '../../compile/ir.js';
import type { RunContext } from '../../vocabulary/run-context.js';
import { explainGuard } from '../guards.js';
import { stepFields, type Runtime, type StepResult } from '../types.js';
import type { NewEvent } from '../../store/timeline.js';

/**
 * Record which branch a decide step takes and why. The machine takes the same branch by the
 * same pure guards; a skipped review is logged with its `review_skipped_reason`. Pure.
 */
export async function runDecideStep(step: IrStep, rt: Runtime, ctx: RunContext): Promise<StepResult> {
  const fields = stepFields(step.id, ctx);
  const env = { policy: rt.policy, taskKind: rt.task.kind };
  const events: NewEvent[] = [];
  let taken: { guard: string | null; target: IrTarget; reason: string } | null = null;
  const reasons: string[] = [];
  for (const b of step.branches ?? []) {
    const v = explainGuard(b.guard, ctx, env);
    if (v.ok) {
      taken = { guard: b.guard, target: b.target, reason: v.reason };
      break;
    }
    reasons.push(`${b.guard}: ${v.reason}`);
  }
  taken ??= { guard: null, target: step.transitions.else!, reason: reasons.join('; ') || 'no branch' };
  events.push({ type: 'decision.made', ...fields, guard: taken.guard, target: describe(taken.target), reason: taken.reason });
  if (taken.guard === 'auto_approve') events.push({ type: 'review.skipped', ...fields, review_skipped_reason: taken.reason });
  return { outcome: taken.guard ?? 'else', patch: {}, events };
}

function describe(t: IrTarget): string {
  return t.kind === 'stop' ? `stop:${t.reason}` : t.step;
}
