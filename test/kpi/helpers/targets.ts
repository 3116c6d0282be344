import type { KpiTargets } from '../../../engine/kpi/targets.js';

/** The shipped defaults of kpi_targets (policies/default.policy.yaml). */
export const targets: KpiTargets = {
  milestone_median_s: 180,
  milestone_p90_s: 360,
  bootstrap_total_s: 1500,
  calls_median: 2,
  calls_p90: 4,
  tier0_median_s: 30,
  tier0_p90_s: 60,
  tier1_max_s: 120,
  workspace_setup_s: 300,
  parse_failures_per_100: 1,
  retry_rate: 0.2,
  human_interventions: 0,
  governance_violations: 0,
  path_variance: 0,
  outcome_variance: 0,
};
