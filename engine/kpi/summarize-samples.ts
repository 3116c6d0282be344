import type { Kpis } from '../generated/state.js';
import type { KpiSamples } from './collect-samples.js';
import { round, statOf } from './stats.js';

/**
 * KPIs from samples (of one run or a pool of runs): distributions of the measured values,
 * rates from the counts, times in seconds, everything rounded to 3 decimals. Pure.
 */
export function summarizeSamples(s: KpiSamples): Kpis {
  const verify_s: Kpis['verify_s'] = {};
  for (const tier of Object.keys(s.verify_ms).sort((a, b) => a.localeCompare(b))) verify_s[tier] = statOf(s.verify_ms[tier]!.map((m) => m / 1000));
  return {
    milestones: s.milestones,
    milestones_done: s.milestones_done,
    milestone_s: statOf(s.milestone_ms.map((m) => m / 1000)),
    calls_per_milestone: statOf(s.calls_per_milestone),
    verify_s,
    worker_calls: s.worker_calls,
    parse_failures: s.parse_failures,
    parse_failures_per_100: s.worker_calls ? round((s.parse_failures / s.worker_calls) * 100) : null,
    retried_milestones: s.retried_milestones,
    retry_rate: s.milestones_started ? round(s.retried_milestones / s.milestones_started) : null,
    human_interventions: s.human_interventions,
    governance_violations: s.governance_violations,
    secrets_scrubbed: s.secrets_scrubbed,
    diff_files: s.diff_files,
    diff_loc: s.diff_loc,
    review_skips: { ...s.review_skips },
    cost_usd: s.cost_usd === null ? null : round(s.cost_usd),
    total_s: round(s.total_ms / 1000),
    tokens: { ...s.tokens },
  };
}
