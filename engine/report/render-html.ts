import type { KpiRow } from '../kpi/targets.js';
import type { Report, RunReport } from './build-report.js';
import {
  describeOtherKpis,
  kpiTitle,
  noKpis,
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
} from './describe-cells.js';

/**
 * The report as one static HTML page: no script, no external stylesheet, font or image, so
 * it can be archived or attached as it is. Every text from a run (goals, ids, reasons) is
 * escaped. Same content as the text report, with the milestones of every run. Pure.
 */
export function renderHtml(report: Report): string {
  const { runs, across } = report;
  const single = runs.length === 1 ? runs[0]! : null;
  const title = single ? `Engine report: run ${single.run_id}` : `Engine report: ${runs.length} runs`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p>${runs.length} run${runs.length === 1 ? '' : 's'} in ${report.stores ? `${report.stores.length} stores: ${report.stores.map((s) => `<code>${escapeHtml(s)}</code>`).join(', ')}` : `<code>${escapeHtml(report.store)}</code>`}</p>`,
    '<h2>Runs</h2>',
    renderRunTable(runs),
    `<h2>${escapeHtml(kpiTitle(report))}</h2>`,
    ...(across.kpis
      ? [
          renderKpiTable(across.rows),
          '<dl>',
          ...describeOtherKpis(across.kpis).map(([label, value]) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`),
          '</dl>',
        ]
      : [`<p>${escapeHtml(noKpis(report))}</p>`]),
    '<h2>Milestones</h2>',
    ...runs.map((r) => renderRunDetails(r, single !== null)),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Text made safe for HTML content and attribute values. Pure. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function renderRunTable(runs: readonly RunReport[]): string {
  const rows = runs.map((r) =>
    row([r.run_id, showStatus(r), showMilestonesDone(r.kpis), showNumber(r.kpis?.total_s), showNumber(r.kpis?.worker_calls), showCost(r.kpis?.cost_usd), r.created_at, r.goal]),
  );
  return table(['run', 'status', 'milestones', 'time (s)', 'calls', 'cost', 'started', 'goal'], rows);
}

function renderKpiTable(rows: readonly KpiRow[]): string {
  return table(
    ['KPI', 'value', 'target', ''],
    rows.map((r) => `<tr class="${r.ok === null ? 'none' : r.ok ? 'ok' : 'over'}">${cells([r.name, showNumber(r.value), `≤ ${r.target}`, showMark(r)])}</tr>`),
  );
}

function renderRunDetails(r: RunReport, open: boolean): string {
  const notes = r.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`);
  const milestones = r.milestones.length
    ? table(
        ['#', 'id', 'status', 'time (s)', 'calls', 'attempts', 'retried', 'verification', 'review', 'checkpoint', 'over target', 'goal'],
        r.milestones.map((m) =>
          row([String(m.index), m.id || '?', showMilestoneStatus(m), showNumber(m.duration_s), String(m.worker_calls), String(m.attempts), showRetried(m), showVerify(m.verify), showReview(m), showCheckpoint(m), m.over.join(', ') || '–', m.goal]),
        ),
      )
    : `<p>${r.kpis ? 'No plan yet.' : 'No timeline: nothing to show.'}</p>`;
  const runVerify = r.run_verify.length ? `<p>Run verification (outside milestones): ${escapeHtml(showVerify(r.run_verify))}</p>` : '';
  const kpis = r.rows.length ? `<h3>KPIs of this run</h3>\n${renderKpiTable(r.rows)}` : '';
  return [`<details${open ? ' open' : ''}>`, `<summary><code>${escapeHtml(r.run_id)}</code> — ${escapeHtml(showStatus(r))} — ${escapeHtml(r.goal)}</summary>`, ...notes, milestones, runVerify, kpis, '</details>'].filter(Boolean).join('\n');
}

function table(header: readonly string[], rows: readonly string[]): string {
  return ['<table>', `<thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`, '<tbody>', ...rows, '</tbody>', '</table>'].join('\n');
}

function row(values: readonly string[]): string {
  return `<tr>${cells(values)}</tr>`;
}

function cells(values: readonly string[]): string {
  return values.map((v) => `<td>${escapeHtml(v)}</td>`).join('');
}

const STYLE = [
  'body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:80rem}',
  'table{border-collapse:collapse;margin:.5rem 0 1rem}',
  'th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}',
  'th{background:#f3f3f3}',
  'tr.ok td:last-child{color:#176f2c;font-weight:600}',
  'tr.over td:last-child{color:#b3261e;font-weight:600}',
  'tr.over{background:#fdecea}',
  'dt{font-weight:600;float:left;clear:left;width:12rem}',
  'dd{margin:0 0 .25rem 12.5rem}',
  'details{margin:.5rem 0;padding:.25rem .5rem;border:1px solid #ddd}',
  'summary{cursor:pointer}',
  '.note{color:#8a5300}',
  'code{font-family:ui-monospace,monospace}',
].join('');
