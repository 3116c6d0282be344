import type { TimelineEvent } from '../generated/event.js';
import type { Kpis } from '../generated/state.js';
import { round, statOf } from './stats.js';

/**
 * A run's KPIs from its timeline alone (contract §8). It reads the same event types the
 * runtime writes (generated from schemas/event.schema.json), so a KPI cannot silently read
 * an event nobody emits. Pure.
 */
export function computeKpis(events: readonly TimelineEvent[]): Kpis {
  const milestoneMs: number[] = [];
  const callsByMilestone = new Map<number, number>();
  const verifyMs = new Map<string, number[]>();
  const retried = new Set<number>();
  const started = new Set<number>();
  const reviewSkips: Record<string, number> = {};
  let milestones = 0;
  let done = 0;
  let calls = 0;
  let parseFailures = 0;
  let interventions = 0;
  let governance = 0;
  let diffFiles = 0;
  let diffLoc = 0;
  let cost: number | null = null;
  let totalMs = 0;
  const tokens = { input: 0, output: 0 };

  for (const e of events) {
    switch (e.type) {
      case 'plan.accepted':
        milestones = e.milestones.length;
        break;
      case 'milestone.started':
        if (e.milestone !== null) started.add(e.milestone);
        break;
      case 'milestone.finished':
        milestoneMs.push(e.duration_ms);
        done++;
        break;
      case 'step.started':
        if (e.milestone !== null && (e.attempt ?? 1) > 1) retried.add(e.milestone);
        break;
      case 'step.finished':
      case 'step.stopped':
        totalMs += e.duration_ms;
        break;
      case 'worker.finished':
        calls++;
        if (e.milestone !== null) callsByMilestone.set(e.milestone, (callsByMilestone.get(e.milestone) ?? 0) + 1);
        if (e.cost_usd !== null) cost = (cost ?? 0) + e.cost_usd;
        if (e.usage) {
          tokens.input += e.usage.input_tokens ?? 0;
          tokens.output += e.usage.output_tokens ?? 0;
        }
        break;
      case 'parse.failed':
        parseFailures++;
        if (e.milestone !== null) retried.add(e.milestone);
        break;
      case 'verify.finished':
        if (!e.skipped) verifyMs.set(e.tier, [...(verifyMs.get(e.tier) ?? []), e.duration_ms]);
        break;
      case 'review.skipped':
        reviewSkips[e.review_skipped_reason] = (reviewSkips[e.review_skipped_reason] ?? 0) + 1;
        break;
      case 'checkpoint.created':
        diffFiles += e.files;
        diffLoc += e.added + e.removed;
        break;
      case 'run.resumed':
        // A forced resume over hand edits is one intervention, not two.
        if (e.forced || e.hand_edits.length) interventions++;
        break;
      default:
        if ((e as { type: string }).type === 'governance.violation') governance++;
    }
  }

  const verify_s: Kpis['verify_s'] = {};
  for (const [tier, ms] of [...verifyMs].sort(([a], [b]) => a.localeCompare(b))) verify_s[tier] = statOf(ms.map((m) => m / 1000));
  const callCounts = [...started].sort((a, b) => a - b).map((m) => callsByMilestone.get(m) ?? 0);
  return {
    milestones,
    milestones_done: done,
    milestone_s: statOf(milestoneMs.map((m) => m / 1000)),
    calls_per_milestone: statOf(callCounts),
    verify_s,
    worker_calls: calls,
    parse_failures: parseFailures,
    parse_failures_per_100: calls ? round((parseFailures / calls) * 100) : null,
    retried_milestones: retried.size,
    retry_rate: started.size ? round(retried.size / started.size) : null,
    human_interventions: interventions,
    governance_violations: governance,
    diff_files: diffFiles,
    diff_loc: diffLoc,
    review_skips: reviewSkips,
    cost_usd: cost === null ? null : round(cost),
    total_s: round(totalMs / 1000),
    tokens,
  };
}
