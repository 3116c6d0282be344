import type { TimelineEvent } from '../generated/event.js';

export interface DerivedCounters {
  ticks: number;
  worker_calls: number;
  milestone_worker_calls: number;
  parse_failures: number;
  human_interventions: number;
  cost_usd: number;
}

/** The counts of a timeline's first `seen` events: what deriveCounters reads, kept to be added to. */
interface Tally {
  seen: number;
  ticks: number;
  worker_calls: number;
  parse_failures: number;
  human_interventions: number;
  /** Unrounded, summed in timeline order. */
  cost: number;
  /** worker.started events per milestone. */
  started: Map<number, number>;
}

function newTally(): Tally {
  return { seen: 0, ticks: 0, worker_calls: 0, parse_failures: 0, human_interventions: 0, cost: 0, started: new Map() };
}

/** Add the events from `t.seen` on to the tally. */
function addEvents(t: Tally, events: readonly TimelineEvent[]): void {
  for (let i = t.seen; i < events.length; i++) {
    const e = events[i]!;
    switch (e.type) {
      case 'step.started':
        if (e.kind !== 'advance' && e.kind !== 'decide') t.ticks++;
        break;
      case 'worker.started':
        // A call counts when it starts: one the engine's crash cut short was made all the same (resume repeats it).
        t.worker_calls++;
        if (typeof e.milestone === 'number') t.started.set(e.milestone, (t.started.get(e.milestone) ?? 0) + 1);
        break;
      case 'worker.finished':
        t.cost += e.cost_usd ?? 0;
        break;
      case 'parse.failed':
        t.parse_failures++;
        break;
      case 'run.resumed':
        // A forced resume over hand edits is one intervention, not two.
        if (e.forced || e.hand_edits.length || e.config_reloaded) t.human_interventions++;
        break;
    }
  }
  t.seen = events.length;
}

function countersOf(t: Tally, milestone: number): DerivedCounters {
  return {
    ticks: t.ticks,
    worker_calls: t.worker_calls,
    milestone_worker_calls: milestone > 0 ? (t.started.get(milestone) ?? 0) : 0,
    parse_failures: t.parse_failures,
    human_interventions: t.human_interventions,
    cost_usd: Math.round(t.cost * 1e6) / 1e6,
  };
}

/**
 * Counters of a run read from its timeline, so that a crash between an event and the next
 * state.json cannot lose or double a count (a replayed or repeated step counts what really
 * ran). `milestone` is the current milestone (0 before the first). Pure.
 */
export function deriveCounters(events: readonly TimelineEvent[], milestone: number): DerivedCounters {
  const t = newTally();
  addEvents(t, events);
  return countersOf(t, milestone);
}

/** Each growing timeline's tally so far. */
const tallies = new WeakMap<readonly TimelineEvent[], Tally>();

/**
 * deriveCounters of a timeline that only grows (a runtime's own events, read at every step
 * and every write of state.json): the same result, from the events appended since the last
 * call instead of all of them. Pure apart from the cache.
 */
export function runningCounters(events: readonly TimelineEvent[], milestone: number): DerivedCounters {
  let t = tallies.get(events);
  if (!t || t.seen > events.length) tallies.set(events, (t = newTally()));
  addEvents(t, events);
  return countersOf(t, milestone);
}
