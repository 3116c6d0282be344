import type { KpiRow } from '../kpi/targets.js';
import type { MilestoneVerify } from '../kpi/describe-milestones.js';
import type { MilestoneReport, Report, RunReport } from './build-report.js';
import type { Kpis } from '../generated/state.js';

// The words and numbers the text and HTML renderers share, so both say the same thing.

/** A number as the report shows it; `–` for no value. Pure. */
export function showNumber(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : String(n);
}

/** `completed`, `stopped (budget_exhausted)`, `running`. Pure. */
export function showStatus(r: Pick<RunReport, 'status' | 'stop_reason'>): string {
  return r.status === 'stopped' && r.stop_reason ? `stopped (${r.stop_reason})` : r.status;
}

/** `2/3`, or `?` without a timeline. Pure. */
export function showMilestonesDone(k: Kpis | null): string {
  return k ? `${k.milestones_done}/${k.milestones}` : '?';
}

/** `$0.012`, or `–` when no worker reported a cost. Pure. */
export function showCost(cost: number | null | undefined): string {
  return cost === null || cost === undefined ? '–' : `$${cost}`;
}

/** `ok`, `over`, or `–` when there is no value to judge. Pure. */
export function showMark(r: KpiRow): string {
  return r.ok === null ? '–' : r.ok ? 'ok' : 'over';
}

/** `tier0 pass 0.2 s`, one per verification run, `; `-separated. Pure. */
export function showVerify(vs: readonly MilestoneVerify[]): string {
  if (!vs.length) return '–';
  return vs.map((v) => `${v.tier} ${v.skipped ? 'skipped' : v.pass ? 'pass' : 'fail'}${v.skipped ? '' : ` ${v.duration_s} s`}`).join('; ');
}

/** `0727c59e75 (1 file, +1 -0)`, `no change` for a finished milestone without one, else `–`. Pure. */
export function showCheckpoint(m: MilestoneReport): string {
  if (m.checkpoint) return `${m.checkpoint.sha.slice(0, 10)} (${m.checkpoint.files} file${m.checkpoint.files === 1 ? '' : 's'}, +${m.checkpoint.added} -${m.checkpoint.removed})`;
  return m.status === 'done' ? 'no change' : '–';
}

/** `done`, `started`, `not started`. Pure. */
export function showMilestoneStatus(m: MilestoneReport): string {
  return m.status === 'not_started' ? 'not started' : m.status;
}

/** `no`, `yes`, or `yes (1 parse failure)`: whether the milestone counts toward the retry rate. Pure. */
export function showRetried(m: MilestoneReport): string {
  if (!m.retried) return 'no';
  return m.parse_failures ? `yes (${m.parse_failures} parse failure${m.parse_failures === 1 ? '' : 's'})` : 'yes';
}

/**
 * How the milestone was reviewed: `approve`, `approve (2 rounds)`, `skipped (small_green)`,
 * `no verdict` (a review call without a finished review step), `–` (not reviewed), `?` (an
 * index line older than the review count). Pure.
 */
export function showReview(m: MilestoneReport): string {
  if (m.review_skipped_reason) return `skipped (${m.review_skipped_reason})`;
  if (m.reviews === undefined) return '?';
  if (!m.reviews) return '–';
  return `${m.review_verdict ?? 'no verdict'}${m.reviews > 1 ? ` (${m.reviews} rounds)` : ''}`;
}

/** The cost to show for a run: null when none was reported or it came from the scripted model (not real money). Pure. */
export function realCost(r: RunReport): number | null {
  return r.scripted ? null : (r.kpis?.cost_usd ?? null);
}

/** The KPIs without a target, as `label: value` pairs (diff, review skips, cost, tokens, time, verification per tier). Pure. */
export function describeOtherKpis(k: Kpis, realCostUsd: number | null = k.cost_usd): [string, string][] {
  const skips = Object.entries(k.review_skips);
  const tiers = Object.entries(k.verify_s).map(([tier, s]) => `${tier} median ${showNumber(s.median)}, p90 ${showNumber(s.p90)}, max ${showNumber(s.max)} (n=${s.count})`);
  return [
    ['milestones done', `${k.milestones_done} of ${k.milestones} planned`],
    ['worker calls', `${k.worker_calls} (${k.parse_failures} parse failure${k.parse_failures === 1 ? '' : 's'})`],
    ['verification time (s)', tiers.length ? tiers.join('; ') : '–'],
    ['diff, each checkpoint summed', `${k.diff_files} file${k.diff_files === 1 ? '' : 's'}, ${k.diff_loc} line${k.diff_loc === 1 ? '' : 's'} added or removed`],
    ['review skips', skips.length ? skips.map(([reason, n]) => `${n}× ${reason}`).join('; ') : 'none'],
    ['cost', realCostUsd === null && k.cost_usd !== null ? '– (the scripted model\'s, not real)' : showCost(realCostUsd)],
    ['tokens', `${k.tokens.input} in, ${k.tokens.output} out`],
    ['step time (s)', String(k.total_s)],
  ];
}

/** A text on one line, at most `max` characters. Pure. */
export function oneLine(text: string, max = 60): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? t.slice(0, max - 1) + '…' : t;
}

/** `KPIs of run <id>`, or `KPIs across N runs (milestones pooled)`. Pure. */
export function kpiTitle(report: Report): string {
  const { runs, across } = report;
  if (runs.length === 1) return `KPIs of run ${runs[0]!.run_id}`;
  const left = runs.length - across.run_ids.length;
  return `KPIs across ${across.run_ids.length} runs (milestones pooled${left ? `; ${left} without a timeline left out` : ''})`;
}

/** What the report says instead of KPIs when no selected run has a timeline. Pure. */
export function noKpis(report: Report): string {
  return report.runs.length === 1 ? 'No KPIs: the run has no readable timeline.' : 'No KPIs: none of the runs has a readable timeline.';
}
