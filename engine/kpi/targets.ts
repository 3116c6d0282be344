import type { Kpis } from '../generated/state.js';

export interface KpiTargets {
  milestone_median_s: number;
  milestone_p90_s: number;
  /** End-to-end time of a greenfield (bootstrap) run; judged by `bootstrapRow`. */
  bootstrap_total_s: number;
  calls_median: number;
  calls_p90: number;
  tier0_median_s: number;
  tier0_p90_s: number;
  tier1_max_s: number;
  workspace_setup_s?: number;
  parse_failures_per_100: number;
  retry_rate: number;
  human_interventions: number;
  governance_violations: number;
  /** Determinism across repeats of one task (engine/report/determinism.ts); target 0. */
  path_variance?: number;
  outcome_variance?: number;
}

export interface KpiRow {
  name: string;
  value: number | null;
  target: number;
  /** The comparison the target asks for: `<` for the seed's strict targets ("< 1 per 100"), else `≤`. */
  op: '<' | '≤';
  /** null when there is no value to judge. */
  ok: boolean | null;
}

/**
 * Each KPI that has a target, with its value and whether it holds: `≤ target`, or `< target`
 * for the targets the seed states strictly (parse failures "< 1 per 100 calls", retry rate
 * "< 20 % of milestones", tier1 "< 2 minutes"). Pure.
 */
export function kpiRows(k: Kpis, t: KpiTargets): KpiRow[] {
  return [
    row('milestone time median (s)', k.milestone_s.median, t.milestone_median_s),
    row('milestone time p90 (s)', k.milestone_s.p90, t.milestone_p90_s),
    row('worker calls per milestone median', k.calls_per_milestone.median, t.calls_median),
    row('worker calls per milestone p90', k.calls_per_milestone.p90, t.calls_p90),
    row('tier0 median (s)', k.verify_s.tier0?.median, t.tier0_median_s),
    row('tier0 p90 (s)', k.verify_s.tier0?.p90, t.tier0_p90_s),
    row('tier1 max (s)', k.verify_s.tier1?.max, t.tier1_max_s, '<'),
    // Only runs with a workspace set-up have this row.
    ...(k.verify_s.setup ? [row('workspace set-up max (s)', k.verify_s.setup.max, t.workspace_setup_s ?? 300)] : []),
    row('parse failures per 100 calls', k.parse_failures_per_100, t.parse_failures_per_100, '<'),
    row('retry rate', k.retry_rate, t.retry_rate, '<'),
    row('human interventions', k.human_interventions, t.human_interventions),
    row('governance violations', k.governance_violations, t.governance_violations),
  ];
}

/**
 * The bootstrap target: the longest total step time of the completed greenfield runs given
 * (`total_s` of each), against `bootstrap_total_s`. A run that stopped has no end-to-end
 * time, so it is not judged here. Pure.
 */
export function bootstrapRow(completedGreenfieldTotals: readonly number[], t: KpiTargets): KpiRow {
  const value = completedGreenfieldTotals.length ? Math.max(...completedGreenfieldTotals) : null;
  return row('bootstrap run total (s)', value, t.bootstrap_total_s);
}

/** The KPI table as Markdown. Pure. */
export function renderKpiTable(rows: readonly KpiRow[]): string {
  const lines = ['| KPI | value | target | |', '| --- | ---: | ---: | --- |'];
  for (const r of rows) {
    const mark = r.ok === null ? '–' : r.ok ? 'ok' : 'over';
    lines.push(`| ${r.name} | ${r.value ?? '–'} | ${r.op} ${r.target} | ${mark} |`);
  }
  return lines.join('\n') + '\n';
}

function row(name: string, value: number | null | undefined, target: number, op: '<' | '≤' = '≤'): KpiRow {
  return { name, value: value ?? null, target, op, ok: value === null || value === undefined ? null : holds(value, op, target) };
}

/** Whether a value meets its target under the comparison. Pure. */
export function holds(value: number, op: '<' | '≤', target: number): boolean {
  return op === '<' ? value < target : value <= target;
}
