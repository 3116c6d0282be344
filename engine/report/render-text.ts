import type { KpiRow } from '../kpi/targets.js';
import { printable } from '../util/printable.js';
import type { Report, RunReport } from './build-report.js';
import {
  describeOtherKpis,
  oneLine,
  realCost,
  showCheckpoint,
  showCost,
  showMark,
  showMilestonesDone,
  showMilestoneStatus,
  showNumber,
  showReview,
  showRetried,
  showStatus,
  showVerify,
  kpiTitle,
  noKpis,
} from './describe-cells.js';
import { formatTable } from './format-table.js';
import { pushAll } from '../util/many.js';

/**
 * The report as text for a terminal: one line per run; the milestones when one run is
 * reported; the KPIs across the runs against their targets, then those without a target.
 * Notes about damaged runs are not here (the command prints them to stderr). Control
 * characters from a run's records (a goal with terminal escapes) are shown as U+FFFD, so
 * nothing a worker or user wrote can drive the terminal. Pure.
 */
export function renderText(report: Report): string {
  return printable(renderLines(report));
}

function renderLines(report: Report): string {
  const { runs, across } = report;
  const count = report.stored ? `${runs.length} of ${report.stored} runs` : `${runs.length} run${runs.length === 1 ? '' : 's'}`;
  const lines = [`${count} in ${report.stores ? `${report.stores.length} stores: ${report.stores.join(', ')}` : report.store}`, '', ...renderRunLines(runs), ''];
  const single = runs.length === 1 ? runs[0]! : null;
  if (single?.kpis) pushAll(lines, [...renderMilestones(single), '']);
  if (!across.kpis) {
    lines.push(noKpis(report), '');
    return lines.join('\n');
  }
  lines.push(kpiTitle(report), ...renderKpiRows(across.rows), '', ...describeOtherKpis(across.kpis, across.cost_usd).map(([label, value]) => `  ${label}: ${value}`), '');
  return lines.join('\n');
}

/** One line per run: id, status, milestones done/planned, step time, calls, cost when any, goal. */
function renderRunLines(runs: readonly RunReport[]): string[] {
  const withCost = runs.some((r) => realCost(r) !== null);
  const header = ['run', 'status', 'milestones', 'time (s)', 'calls', ...(withCost ? ['cost'] : []), 'goal'];
  const rows = runs.map((r) => [
    r.run_id,
    showStatus(r),
    showMilestonesDone(r.kpis),
    showNumber(r.kpis?.total_s),
    showNumber(r.kpis?.worker_calls),
    ...(withCost ? [showCost(realCost(r))] : []),
    oneLine(r.goal),
  ]);
  return formatTable(header, rows);
}

function renderMilestones(run: RunReport): string[] {
  if (!run.milestones.length) return [`Milestones of run ${run.run_id}: none planned yet`];
  const header = ['#', 'id', 'status', 'time (s)', 'calls', 'attempts', 'retried', 'verification', 'review', 'checkpoint', 'over target', 'goal'];
  const rows = run.milestones.map((m) => [
    String(m.index),
    // A planner's id: one line, as the goal, so it cannot draw a row of its own.
    oneLine(m.id, 40) || '?',
    showMilestoneStatus(m),
    showNumber(m.duration_s),
    String(m.worker_calls),
    String(m.attempts),
    showRetried(m),
    showVerify(m.verify),
    showReview(m),
    showCheckpoint(m),
    m.over.length ? m.over.join(', ') : '–',
    oneLine(m.goal, 50),
  ]);
  const out = [`Milestones of run ${run.run_id}`, ...formatTable(header, rows)];
  if (run.run_verify.length) out.push(`  run verification (outside milestones): ${showVerify(run.run_verify)}`);
  return out;
}

function renderKpiRows(rows: readonly KpiRow[]): string[] {
  return formatTable(
    ['KPI', 'value', 'target', ''],
    rows.map((r) => [r.name, showNumber(r.value), `${r.op} ${r.target}`, showMark(r)]),
  );
}
