import type { KpiSamples } from './collect-samples.js';

/**
 * The samples of several runs as one pool: measured values concatenated (run order kept),
 * counts summed, cost null only when no run reported any. Rates are not merged here; they
 * are recomputed from the pooled counts by `summarizeSamples`. Pure.
 */
export function mergeSamples(runs: readonly KpiSamples[]): KpiSamples {
  const verify: Record<string, number[]> = {};
  const skips: Record<string, number> = {};
  for (const s of runs) {
    for (const [tier, ms] of Object.entries(s.verify_ms)) {
      const pool = (verify[tier] ??= []);
      for (const m of ms) pool.push(m);
    }
    for (const [reason, n] of Object.entries(s.review_skips)) skips[reason] = (skips[reason] ?? 0) + n;
  }
  const sum = (pick: (s: KpiSamples) => number) => runs.reduce((total, s) => total + pick(s), 0);
  const costs = runs.map((s) => s.cost_usd).filter((c): c is number => c !== null);
  return {
    milestones: sum((s) => s.milestones),
    milestones_done: sum((s) => s.milestones_done),
    milestones_started: sum((s) => s.milestones_started),
    milestone_ms: runs.flatMap((s) => s.milestone_ms),
    calls_per_milestone: runs.flatMap((s) => s.calls_per_milestone),
    verify_ms: verify,
    worker_calls: sum((s) => s.worker_calls),
    parse_failures: sum((s) => s.parse_failures),
    retried_milestones: sum((s) => s.retried_milestones),
    human_interventions: sum((s) => s.human_interventions),
    governance_violations: sum((s) => s.governance_violations),
    secrets_scrubbed: sum((s) => s.secrets_scrubbed),
    diff_files: sum((s) => s.diff_files),
    diff_loc: sum((s) => s.diff_loc),
    review_skips: skips,
    cost_usd: costs.length ? costs.reduce((a, b) => a + b, 0) : null,
    total_ms: sum((s) => s.total_ms),
    tokens: { input: sum((s) => s.tokens.input), output: sum((s) => s.tokens.output) },
  };
}
