import type { TimelineEvent } from '../generated/event.js';

/**
 * The raw material of the KPIs of one or more runs: every measured value kept (so medians
 * and percentiles can be taken over several runs), every count a plain sum. Milliseconds
 * and dollars are kept unrounded; `summarizeSamples` rounds once at the end.
 */
export interface KpiSamples {
  /** Milestones planned (the last `plan.accepted` of each run). */
  milestones: number;
  milestones_done: number;
  milestones_started: number;
  /** `milestone.finished.duration_ms`, one per finished milestone. */
  milestone_ms: number[];
  /** Worker calls of each started milestone, in milestone order. */
  calls_per_milestone: number[];
  /** Durations of verification runs that were not skipped, by tier. */
  verify_ms: Record<string, number[]>;
  worker_calls: number;
  parse_failures: number;
  retried_milestones: number;
  human_interventions: number;
  governance_violations: number;
  /** Files in worker homes where a secret's value was scrubbed (`warning` code secret_scrubbed). */
  secrets_scrubbed: number;
  diff_files: number;
  diff_loc: number;
  review_skips: Record<string, number>;
  /** Sum of the cost workers reported, or null when none did. */
  cost_usd: number | null;
  /** Wall time of the steps (`step.finished` and `step.stopped`). */
  total_ms: number;
  tokens: { input: number; output: number };
}

/**
 * The KPI samples of one run's timeline (contract §8). It reads the same event types the
 * runtime writes (generated from schemas/event.schema.json), so a KPI cannot silently read
 * an event nobody emits. Pure.
 */
export function collectSamples(events: readonly TimelineEvent[]): KpiSamples {
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
  let scrubbed = 0;
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
      case 'workspace.setup':
        // The set-up's own time, a KPI beside the tiers (verify_s.setup).
        verifyMs.set('setup', [...(verifyMs.get('setup') ?? []), e.duration_ms]);
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
        if (e.forced || e.hand_edits.length || e.config_reloaded) interventions++;
        break;
      case 'governance.violation':
        governance++;
        break;
      case 'warning':
        if (e.code === 'secret_scrubbed') scrubbed++;
        break;
    }
  }

  const milestoneOrder = [...started].sort((a, b) => a - b);
  return {
    milestones,
    milestones_done: done,
    milestones_started: started.size,
    milestone_ms: milestoneMs,
    calls_per_milestone: milestoneOrder.map((m) => callsByMilestone.get(m) ?? 0),
    verify_ms: Object.fromEntries(verifyMs),
    worker_calls: calls,
    parse_failures: parseFailures,
    retried_milestones: retried.size,
    human_interventions: interventions,
    governance_violations: governance,
    secrets_scrubbed: scrubbed,
    diff_files: diffFiles,
    diff_loc: diffLoc,
    review_skips: reviewSkips,
    cost_usd: cost,
    total_ms: totalMs,
    tokens,
  };
}
