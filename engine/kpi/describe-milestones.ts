import type { TimelineEvent } from '../generated/event.js';
import { collectSamples } from './collect-samples.js';
import { round } from './stats.js';

/** One verification run of a milestone. */
export interface MilestoneVerify {
  tier: string;
  pass: boolean;
  skipped: boolean;
  duration_s: number;
}

/** What one milestone of a run took, from the run's timeline. */
export interface MilestoneRecord {
  /** 1-based position in the plan. */
  index: number;
  id: string;
  goal: string;
  status: 'done' | 'started' | 'not_started';
  /** `milestone.finished.duration_ms` in seconds; null until it finished. */
  duration_s: number | null;
  /** Worker calls recorded under the milestone (repairs and reviews included). */
  worker_calls: number;
  /** The highest attempt of any of its steps (1 when nothing was retried, 0 before any step). */
  attempts: number;
  parse_failures: number;
  /** A step at attempt > 1 or a parse failure: what `retry_rate` counts. */
  retried: boolean;
  verify: MilestoneVerify[];
  review_skipped_reason: string | null;
  /** Review calls of the milestone (worker calls in the review phase); absent in index lines written before it existed. */
  reviews?: number;
  /** The outcome of its last review step (`approve`, `request_changes`, …), null when none finished. */
  review_verdict?: string | null;
  governance_violations: number;
  checkpoint: { sha: string; files: number; added: number; removed: number } | null;
}

/**
 * Each milestone of a run with what it took: id and goal from `plan.accepted` (or
 * `milestone.started` when a milestone is not in the plan), status, duration, worker calls,
 * attempts, parse failures, verification runs, review skip, governance violations and its
 * checkpoint. Calls, attempts and retries count every event recorded under the milestone,
 * as the run's KPIs do; a verification that ran after the milestone finished (the run-end
 * verification) belongs to the run, not to the milestone. Pure.
 */
export function describeMilestones(events: readonly TimelineEvent[]): MilestoneRecord[] {
  const byIndex = new Map<number, MilestoneRecord>();
  const get = (index: number) => {
    let m = byIndex.get(index);
    if (!m) byIndex.set(index, (m = blank(index)));
    return m;
  };
  const reviewSteps = new Set<string>();
  const own = new Map<number, TimelineEvent[]>();
  for (const e of events) {
    if (e.type === 'plan.accepted') {
      e.milestones.forEach((p, i) => {
        const m = get(i + 1);
        m.id = p.id;
        m.goal = p.goal;
      });
      continue;
    }
    if (e.milestone === null) continue;
    const m = get(e.milestone);
    if (own.has(e.milestone)) own.get(e.milestone)!.push(e);
    else own.set(e.milestone, [e]);
    if (e.attempt !== null) m.attempts = Math.max(m.attempts, e.attempt);
    switch (e.type) {
      case 'milestone.started':
        m.id ||= e.id;
        m.goal ||= e.goal;
        if (m.status === 'not_started') m.status = 'started';
        break;
      case 'milestone.finished':
        m.status = 'done';
        m.duration_s = round(e.duration_ms / 1000);
        break;
      case 'worker.started':
        if (e.phase === 'review') {
          m.reviews = (m.reviews ?? 0) + 1;
          if (e.step) reviewSteps.add(e.step);
        }
        break;
      case 'step.finished':
        if (e.step !== null && reviewSteps.has(e.step)) m.review_verdict = e.outcome;
        break;
      case 'verify.finished':
        if (m.status === 'started') m.verify.push({ tier: e.tier, pass: e.pass, skipped: e.skipped, duration_s: round(e.duration_ms / 1000) });
        break;
      case 'review.skipped':
        m.review_skipped_reason = e.review_skipped_reason;
        break;
      case 'checkpoint.created':
        m.checkpoint = { sha: e.sha, files: e.files, added: e.added, removed: e.removed };
        break;
    }
  }
  // What the run's KPIs count, counted the same way (the SAMPLES table) over the milestone's own events.
  for (const [index, list] of own) {
    const s = collectSamples(list);
    Object.assign(get(index), { worker_calls: s.worker_calls, parse_failures: s.parse_failures, retried: s.retried_milestones > 0, governance_violations: s.governance_violations });
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/**
 * The verification runs of a run that belong to no milestone: before the first started or
 * after its milestone finished (the run-end verification). Pure.
 */
export function describeRunVerification(events: readonly TimelineEvent[]): MilestoneVerify[] {
  const finished = new Set<number>();
  const started = new Set<number>();
  const out: MilestoneVerify[] = [];
  for (const e of events) {
    if (e.type === 'milestone.started' && e.milestone !== null) started.add(e.milestone);
    if (e.type === 'milestone.finished' && e.milestone !== null) finished.add(e.milestone);
    if (e.type !== 'verify.finished') continue;
    const inMilestone = e.milestone !== null && started.has(e.milestone) && !finished.has(e.milestone);
    if (!inMilestone) out.push({ tier: e.tier, pass: e.pass, skipped: e.skipped, duration_s: round(e.duration_ms / 1000) });
  }
  return out;
}

function blank(index: number): MilestoneRecord {
  return {
    index,
    id: '',
    goal: '',
    status: 'not_started',
    duration_s: null,
    worker_calls: 0,
    attempts: 0,
    parse_failures: 0,
    retried: false,
    verify: [],
    review_skipped_reason: null,
    reviews: 0,
    review_verdict: null,
    governance_violations: 0,
    checkpoint: null,
  };
}
