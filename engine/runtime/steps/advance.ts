import type { IrStep } from '../../compile/ir.js';
import type { RunContext } from '../../vocabulary/run-context.js';
import { stepFields, type Runtime, type StepResult } from '../types.js';
import type { NewEvent } from '../../store/timeline.js';
import type { TimelineEvent } from '../../generated/event.js';
import { carriedFailure, milestoneDecision } from '../../kpi/decide.js';
import { eventsOfMilestone, eventsOfType } from '../events-by.js';

/**
 * Close the current milestone (if any) and open the next: outcome `more` with the next
 * milestone, or `done` when the plan has no more. Pure apart from reading the clock.
 */
export async function runAdvanceStep(step: IrStep, rt: Runtime, ctx: RunContext): Promise<StepResult> {
  const events: NewEvent[] = [];
  const now = rt.env.now().getTime();
  let kpi: RunContext['kpi'] = null;
  if (ctx.milestone > 0) {
    const m = ctx.milestones[ctx.milestone - 1]!;
    const own = eventsOfMilestone(rt.events, ctx.milestone);
    const started = own.find((e) => e.type === 'milestone.started');
    const calls = own.filter((e) => e.type === 'worker.finished').length;
    const durationMs = started ? Math.max(0, now - Date.parse(started.ts) - downtimeSince(rt.events, started)) : 0;
    events.push({
      type: 'milestone.finished',
      ...stepFields(step.id, ctx),
      id: m.id,
      duration_ms: durationMs,
      worker_calls: calls,
    });
    // A milestone over its calls or time target makes the next one careful (docs/kpis.md).
    const d = ctx.milestone < ctx.milestones.length ? milestoneDecision({ index: ctx.milestone, calls, seconds: Math.round(durationMs / 10) / 100 }, rt.policy.kpi_targets) : null;
    if (d) {
      events.push({ type: 'kpi.decision', ...stepFields(step.id, ctx), ...d });
      kpi = { require_review: d.detail, carry: carriedFailure(failuresOf(own, ctx.milestone)) };
    }
  }
  const next = ctx.milestone + 1;
  if (next > ctx.milestones.length) return { outcome: 'done', patch: {}, events };
  const m = ctx.milestones[next - 1]!;
  events.push({ type: 'milestone.started', step: step.id, milestone: next, attempt: null, id: m.id, goal: m.goal });
  return {
    outcome: 'more',
    patch: { milestone: next, attempts: {}, implement: null, verify: null, review: null, changes: null, kpi },
    events,
  };
}

/**
 * How long no engine ran the run since `since`: for each resume after it, from the last event
 * of the session before to `run.resumed`. A milestone interrupted in the evening and resumed
 * the next morning took the night otherwise, and its time target made the next milestone
 * careful for it. Pure.
 */
export function downtimeSince(events: readonly TimelineEvent[], since: TimelineEvent): number {
  let ms = 0;
  for (const resumed of eventsOfType(events, 'run.resumed')) {
    if (resumed.seq <= since.seq) continue;
    // seq counts from 1 without a gap (the timeline's own check): the event before is at seq - 2.
    const before = events[resumed.seq - 2];
    if (!before || before.seq !== resumed.seq - 1) continue;
    ms += Math.max(0, Date.parse(resumed.ts) - Date.parse(before.ts));
  }
  return ms;
}

/** What went wrong in a milestone, oldest first: red verifications' output, review requests, parse errors. Pure. */
export function failuresOf(events: readonly TimelineEvent[], milestone: number): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.milestone !== milestone) continue;
    if (e.type === 'step.finished') {
      const p = e.patch as { verify?: { pass: boolean; tier: string; output_tail: string } | null; review?: { verdict: string; changes: string[] } | null };
      if (p.verify && !p.verify.pass) out.push(`verification ${p.verify.tier} failed (attempt ${e.attempt ?? 1}):\n${p.verify.output_tail.trim()}`);
      if (p.review && p.review.verdict === 'request_changes') out.push(`the reviewer asked (attempt ${e.attempt ?? 1}): ${p.review.changes.join('; ') || '(no changes listed)'}`);
    }
    if (e.type === 'parse.failed') out.push(`a markers block was missing or invalid: ${e.error}`);
  }
  return out;
}
