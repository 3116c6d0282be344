import type { TimelineEvent } from '../generated/event.js';

export interface DerivedCounters {
  ticks: number;
  worker_calls: number;
  milestone_worker_calls: number;
  parse_failures: number;
  human_interventions: number;
  cost_usd: number;
}

/**
 * Counters of a run read from its timeline, so that a crash between an event and the next
 * state.json cannot lose or double a count (a replayed or repeated step counts what really
 * ran). `milestone` is the current milestone (0 before the first). Pure.
 */
export function deriveCounters(events: readonly TimelineEvent[], milestone: number): DerivedCounters {
  const c: DerivedCounters = { ticks: 0, worker_calls: 0, milestone_worker_calls: 0, parse_failures: 0, human_interventions: 0, cost_usd: 0 };
  for (const e of events) {
    switch (e.type) {
      case 'step.started':
        if (e.kind !== 'advance' && e.kind !== 'decide') c.ticks++;
        break;
      case 'worker.started':
        if (milestone > 0 && e.milestone === milestone) c.milestone_worker_calls++;
        break;
      case 'worker.finished':
        c.worker_calls++;
        c.cost_usd += e.cost_usd ?? 0;
        break;
      case 'parse.failed':
        c.parse_failures++;
        break;
      case 'run.resumed':
        // A forced resume over hand edits is one intervention, not two.
        if (e.forced || e.hand_edits.length || e.config_reloaded) c.human_interventions++;
        break;
    }
  }
  c.cost_usd = Math.round(c.cost_usd * 1e6) / 1e6;
  return c;
}
