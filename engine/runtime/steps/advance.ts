import type { IrStep } from '../../compile/ir.js';
import type { RunContext } from '../context.js';
import { stepFields, type Runtime, type StepResult } from '../types.js';
import type { NewEvent } from '../../store/timeline.js';

/**
 * Close the current milestone (if any) and open the next: outcome `more` with the next
 * milestone, or `done` when the plan has no more. Pure apart from reading the clock.
 */
export async function runAdvanceStep(step: IrStep, rt: Runtime, ctx: RunContext): Promise<StepResult> {
  const events: NewEvent[] = [];
  const now = rt.env.now().getTime();
  if (ctx.milestone > 0) {
    const m = ctx.milestones[ctx.milestone - 1]!;
    const started = rt.events.find((e) => e.type === 'milestone.started' && e.milestone === ctx.milestone);
    const calls = rt.events.filter((e) => e.type === 'worker.finished' && e.milestone === ctx.milestone).length;
    events.push({
      type: 'milestone.finished',
      ...stepFields(step.id, ctx),
      id: m.id,
      duration_ms: started ? Math.max(0, now - Date.parse(started.ts)) : 0,
      worker_calls: calls,
    });
  }
  const next = ctx.milestone + 1;
  if (next > ctx.milestones.length) return { outcome: 'done', patch: {}, events };
  const m = ctx.milestones[next - 1]!;
  events.push({ type: 'milestone.started', step: step.id, milestone: next, attempt: null, id: m.id, goal: m.goal });
  return {
    outcome: 'more',
    patch: { milestone: next, attempts: {}, implement: null, verify: null, review: null, changes: null },
    events,
  };
}
