import type { KpiRow } from '../kpi/targets.js';
import { KPIS, labelOf, valueOf } from '../kpi/definitions.js';
import type { Kpis } from '../generated/state.js';
import type { Report, RunReport } from './build-report.js';
import { seconds } from './build-timeline.js';
import {
  describeOtherKpis,
  kpiTitle,
  noKpis,
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
} from './describe-cells.js';
import type { RunDetails } from './read-details.js';
import { escapeXml, renderBullet, renderTimelineLegend, renderTimelineSvg, renderTrend, type TrendPoint } from './render-svg.js';
import { maxOf, minOf } from '../util/many.js';

/** What the page knows besides the report: each run's timeline and records, where the store is, and when "now" is. */
export interface HtmlPage {
  /** Each run's timeline and records, by run id; a run without an entry has neither drawn nor linked. */
  details?: Readonly<Record<string, RunDetails>>;
  /** The store's directory relative to the page's directory, `/`-separated (`.`, `../.engine/runs`); null: no links. */
  storeHref?: string | null;
  /** How the header names the store (relative, never an absolute path); default `the run store`. */
  storeLabel?: string;
  /** The time the page is made (ISO): relative times are counted from it. Default: none shown. */
  now?: string;
  /** The IANA time zone local times are shown in (default UTC). */
  timeZone?: string;
  /** What the page leaves out and must say so (run directories whose records cannot be read), one note each under its header. */
  notes?: readonly string[];
}

/**
 * The report as one static HTML page: no script, no external stylesheet, font or image, so
 * it can be archived or attached as it is. For one run: its status, timeline and KPI bars
 * first, then its milestones and records; for several: a run table, pooled KPI bars, trend
 * charts, then each run folded. Every text from a run (goals, ids, reasons) is escaped. Pure.
 */
export function renderHtml(report: Report, page: HtmlPage = {}): string {
  const { runs } = report;
  const single = runs.length === 1 ? runs[0]! : null;
  const title = single ? `Engine run ${single.run_id}` : `Engine report: ${runs.length} runs`;
  const ctx: Ctx = { page, details: page.details ?? {}, zone: page.timeZone ?? 'UTC' };
  const body = single ? renderSingle(report, single, ctx) : renderMany(report, ctx);
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
    '<header>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${report.stored ? `${runs.length} of ${report.stored} runs` : `${runs.length} run${runs.length === 1 ? '' : 's'}`} of ${escapeHtml(page.storeLabel ?? (report.stores ? `${report.stores.length} stores` : 'the run store'))}${page.now ? ` · made ${showTime(page.now, ctx)}` : ''}</p>`,
    ...(page.notes ?? []).map((n) => `<p class="note">${escapeHtml(n)}</p>`),
    '</header>',
    '<main>',
    ...body,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Text made safe for HTML content and attribute values: escapeXml (render-svg.ts), which every text of the page goes through. Pure. */
export function escapeHtml(text: string): string {
  return escapeXml(text);
}

interface Ctx {
  page: HtmlPage;
  details: Readonly<Record<string, RunDetails>>;
  zone: string;
}

function renderSingle(report: Report, r: RunReport, ctx: Ctx): string[] {
  return [
    renderStatus(r, ctx),
    ...r.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`),
    renderTimelineSection(r, ctx, 'h2'),
    `<section id="kpis"><h2>${escapeHtml(kpiTitle(report))}</h2>`,
    ...(report.across.kpis ? [renderBullets(report.across.rows), renderOtherKpis(report.across.kpis, report.across.cost_usd)] : [`<p>${escapeHtml(noKpis(report))}</p>`]),
    '</section>',
    renderMilestones(r, 'h2'),
    renderRecords(r, ctx, 'h2'),
  ].filter(Boolean);
}

function renderMany(report: Report, ctx: Ctx): string[] {
  const { runs, across } = report;
  return [
    '<section id="runs"><h2>Runs</h2>',
    renderRunTable(runs, ctx),
    '</section>',
    `<section id="kpis"><h2>${escapeHtml(kpiTitle(report))}</h2>`,
    ...(across.kpis ? [renderBullets(across.rows), renderOtherKpis(across.kpis, across.cost_usd)] : [`<p>${escapeHtml(noKpis(report))}</p>`]),
    '</section>',
    renderTrends(report),
    renderVariance(runs),
    '<section id="each"><h2>Each run</h2>',
    ...runs.map((r) =>
      [
        `<details id="run-${escapeHtml(r.run_id)}">`,
        `<summary><code>${escapeHtml(r.run_id)}</code> — <span class="st st-${statusClass(r)}">${escapeHtml(showStatus(r))}</span> — ${escapeHtml(r.goal)}</summary>`,
        ...r.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`),
        renderTimelineSection(r, ctx, 'h3'),
        renderMilestones(r, 'h3'),
        renderRecords(r, ctx, 'h3'),
        '</details>',
      ]
        .filter(Boolean)
        .join('\n'),
    ),
    '</section>',
  ].filter(Boolean);
}

/** The run's status line: status, goal, when it started (local and relative), its numbers. */
function renderStatus(r: RunReport, ctx: Ctx): string {
  const k = r.kpis;
  const cost = realCost(r);
  const facts: [string, string][] = [
    ['started', showTime(r.created_at, ctx)],
    ['step time', k ? seconds(k.total_s * 1000) : '–'],
    ['milestones', showMilestonesDone(k)],
    ['worker calls', k ? `${k.worker_calls}${k.parse_failures ? ` (${k.parse_failures} parse failure${k.parse_failures === 1 ? '' : 's'})` : ''}` : '–'],
    ['tokens', k ? `${k.tokens.input} in, ${k.tokens.output} out` : '–'],
    ...(cost !== null ? [['cost', showCost(cost)] as [string, string]] : []),
  ];
  return [
    '<section id="status" class="status">',
    `<p class="headline"><span class="st st-${statusClass(r)}">${escapeHtml(showStatus(r))}</span> <span class="goal">${escapeHtml(r.goal)}</span></p>`,
    `<dl class="facts">${facts.map(([a, b]) => `<div><dt>${escapeHtml(a)}</dt><dd>${b.startsWith('<time') ? b : escapeHtml(b)}</dd></div>`).join('')}</dl>`,
    '</section>',
  ].join('\n');
}

function renderTimelineSection(r: RunReport, ctx: Ctx, h: 'h2' | 'h3'): string {
  const d = ctx.details[r.run_id];
  if (!d?.timeline) return d ? `<p>No timeline to draw.</p>` : '';
  const tl = d.timeline;
  const href = (record: string) => linkTo(d, ctx, record.startsWith('calls/') ? transcriptOf(d, record) : record);
  return [
    `<section class="timeline-box"><${h}>Timeline <span class="sub">${escapeHtml(seconds(tl.span_ms))} from ${showTime(tl.origin, ctx)}; ${tl.bars.filter((b) => b.kind === 'worker').length} worker calls, ${tl.bars.filter((b) => b.kind === 'verify').length} verification runs</span></${h}>`,
    `<div class="tl">${renderTimelineSvg(tl, href)}</div>`,
    renderTimelineLegend(),
    '</section>',
  ].join('\n');
}

function renderBullets(rows: readonly KpiRow[]): string {
  return [
    '<div class="bullets">',
    ...rows.map((r) => {
      const state = r.ok === null ? 'none' : r.ok ? 'ok' : 'over';
      return `<div class="kpi k-${state}"><span class="kn">${escapeHtml(r.name)}</span>${renderBullet(r)}<span class="kv">${escapeHtml(showNumber(r.value))} <span class="kt">${escapeHtml(r.op)} ${escapeHtml(String(r.target))}</span> <b class="mark">${escapeHtml(showMark(r))}</b></span></div>`;
    }),
    '</div>',
  ].join('\n');
}

function renderOtherKpis(k: Kpis, cost: number | null): string {
  return `<dl class="other">${describeOtherKpis(k, cost)
    .map(([label, value]) => `<div><dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd></div>`)
    .join('')}</dl>`;
}

function renderRunTable(runs: readonly RunReport[], ctx: Ctx): string {
  const withCost = runs.some((r) => realCost(r) !== null);
  const header = ['run', 'status', 'milestones', 'step time (s)', 'worker calls', ...(withCost ? ['cost'] : []), 'started', 'goal'];
  const rows = runs.map(
    (r) =>
      `<tr><td><a href="#run-${escapeHtml(r.run_id)}">${escapeHtml(r.run_id)}</a></td><td class="st-${statusClass(r)}">${escapeHtml(showStatus(r))}</td>${cells([showMilestonesDone(r.kpis), showNumber(r.kpis?.total_s), showNumber(r.kpis?.worker_calls), ...(withCost ? [showCost(realCost(r))] : [])])}<td>${showTime(r.created_at, ctx)}</td>${cells([r.goal])}</tr>`,
  );
  return table(header, rows);
}

/** The seed KPIs over the selected runs, oldest first, each against its target. */
function renderTrends(report: Report): string {
  const runs = report.runs.filter((r) => r.kpis);
  if (runs.length < 2) return '';
  const target = (name: string) => report.across.rows.find((r) => r.name === name)?.target ?? null;
  // The KPIs the definitions give a trend chart, in their chart order.
  const series = Object.values(KPIS)
    .filter((d) => d.trend !== undefined)
    .sort((a, b) => a.trend! - b.trend!);
  return [
    `<section id="trends"><h2>Trends over ${runs.length} runs <span class="sub">oldest left; dashed: the target</span></h2>`,
    '<div class="trends">',
    ...series.map((d) => {
      const name = labelOf(d);
      const points: TrendPoint[] = runs.map((r) => ({ run_id: r.run_id, value: valueOf(d, r.kpis!) ?? null }));
      return `<figure>${renderTrend(name, points, target(name))}<figcaption>${escapeHtml(name)}</figcaption></figure>`;
    }),
    '</div>',
    '</section>',
  ].join('\n');
}

/**
 * When the selected runs repeat one task (the same goal), how much they differ: the spread of
 * step time, worker calls and milestones done (min–max, coefficient of variation).
 */
function renderVariance(runs: readonly RunReport[]): string {
  const withKpis = runs.filter((r) => r.kpis);
  if (withKpis.length < 2 || new Set(withKpis.map((r) => r.goal)).size !== 1) return '';
  const rows = (
    [
      ['step time (s)', (k: Kpis) => k.total_s],
      ['worker calls', (k: Kpis) => k.worker_calls],
      ['milestones done', (k: Kpis) => k.milestones_done],
    ] as [string, (k: Kpis) => number][]
  ).map(([name, pick]) => {
    const v = withKpis.map((r) => pick(r.kpis!));
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    return `<tr>${cells([name, String(minOf(v)), String(maxOf(v)), mean ? String(Math.round((sd / mean) * 1000) / 1000) : '–'])}</tr>`;
  });
  return [`<section id="variance"><h2>Determinism: ${withKpis.length} runs of one task</h2>`, table(['measure', 'min', 'max', 'coefficient of variation'], rows), '</section>'].join('\n');
}

function renderMilestones(r: RunReport, h: 'h2' | 'h3'): string {
  const body = r.milestones.length
    ? table(
        ['#', 'id', 'status', 'time (s)', 'worker calls', 'attempts', 'retried', 'verification', 'review', 'checkpoint', 'over target', 'goal'],
        r.milestones.map((m) => `<tr${m.over.length ? ' class="over"' : ''}>${cells([String(m.index), m.id || '?', showMilestoneStatus(m), showNumber(m.duration_s), String(m.worker_calls), String(m.attempts), showRetried(m), showVerify(m.verify), showReview(m), showCheckpoint(m), m.over.join(', ') || '–', m.goal])}</tr>`),
      )
    : `<p>${r.kpis ? 'No plan yet.' : 'No timeline: nothing to show.'}</p>`;
  const runVerify = r.run_verify.length ? `<p>Run verification (outside milestones): ${escapeHtml(showVerify(r.run_verify))}</p>` : '';
  return [`<section class="milestones"><${h}>Milestones</${h}>`, body, runVerify, '</section>'].filter(Boolean).join('\n');
}

/** Links to the run's records: summary, memo, patches, each call's prompt/answer/transcript, each verification log. */
function renderRecords(r: RunReport, ctx: Ctx, h: 'h2' | 'h3'): string {
  const d = ctx.details[r.run_id];
  if (!d || ctx.page.storeHref === null || ctx.page.storeHref === undefined || !d.files.length) return '';
  const top = d.files.filter((f) => !f.includes('/'));
  const calls = [...new Set(d.files.filter((f) => f.startsWith('calls/')).map((f) => f.split('/')[1]!))];
  const logs = d.files.filter((f) => f.startsWith('verify/'));
  const a = (file: string, text: string) => `<a href="${escapeHtml(linkTo(d, ctx, file)!)}">${escapeHtml(text)}</a>`;
  const bars = new Map((d.timeline?.bars ?? []).filter((b) => b.record).map((b) => [b.record!, b]));
  const callRows = calls.map((c) => {
    const rec = `calls/${c}`;
    const bar = bars.get(rec);
    const links = [
      ['prompt.md', 'prompt'],
      ['text.md', 'answer'],
      ['stdout.log', 'transcript'],
      ['stderr.log', 'stderr'],
      ['events.jsonl', 'events'],
    ]
      .filter(([f]) => d.files.includes(`${rec}/${f}`))
      .map(([f, text]) => a(`${rec}/${f}`, text!))
      .join(' · ');
    return `<tr><td><code>${escapeHtml(c)}</code></td><td>${escapeHtml(bar ? bar.label : '')}</td><td>${links}</td></tr>`;
  });
  return [
    `<section class="records"><${h}>Records</${h}>`,
    `<p>${top.map((f) => a(f, f)).join(' · ')}</p>`,
    callRows.length ? table(['call', 'what happened', 'records'], callRows, true) : '',
    logs.length ? `<p>Verification logs: ${logs.map((f) => a(f, f.slice('verify/'.length))).join(' · ')}</p>` : '',
    '</section>',
  ]
    .filter(Boolean)
    .join('\n');
}

/** The page-relative link to a record of a run, or null when the page has no links or the record does not exist. */
function linkTo(d: RunDetails, ctx: Ctx, file: string | null): string | null {
  const base = ctx.page.storeHref;
  if (base === null || base === undefined || file === null || !d.files.includes(file)) return null;
  const parts = [...(base === '.' || base === '' ? [] : base.split('/')), ...(d.dir === '.' ? [] : d.dir.split('/')), ...file.split('/')];
  return parts.map((p) => (p === '..' || p === '.' ? p : encodeURIComponent(p))).join('/');
}

/** A call's transcript to link from its bar: the answer when there is one, else the raw output. */
function transcriptOf(d: RunDetails, call: string): string | null {
  for (const f of ['text.md', 'stdout.log', 'events.jsonl']) if (d.files.includes(`${call}/${f}`)) return `${call}/${f}`;
  return null;
}

/** `<time>` with the local date and time, and how long before the page was made. Pure. */
export function showTime(iso: string, ctx: { page: HtmlPage; zone: string }): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return escapeHtml(iso);
  let local: string;
  try {
    local = new Intl.DateTimeFormat('en-GB', { timeZone: ctx.zone, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' }).format(t);
  } catch {
    local = new Date(t).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  }
  const ago = ctx.page.now ? relative(Date.parse(ctx.page.now) - t) : '';
  return `<time datetime="${escapeHtml(new Date(t).toISOString())}">${escapeHtml(local)}</time>${ago ? ` <span class="ago">(${escapeHtml(ago)})</span>` : ''}`;
}

/** `just now`, `5 min ago`, `3 h ago`, `2 days ago`, `in the future`. Pure. */
export function relative(ms: number): string {
  if (Number.isNaN(ms)) return '';
  if (ms < -60_000) return 'in the future';
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} days ago`;
}

function statusClass(r: RunReport): string {
  return r.status === 'completed' ? 'ok' : r.status === 'running' ? 'running' : 'stop';
}

function table(header: readonly string[], rows: readonly string[], compact = false): string {
  return [`<div class="scroll"><table${compact ? ' class="compact"' : ''}>`, `<thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`, '<tbody>', ...rows, '</tbody>', '</table></div>'].join('\n');
}

function cells(values: readonly string[]): string {
  return values.map((v) => `<td>${escapeHtml(v)}</td>`).join('');
}

const STYLE = [
  ':root{--ok:#2f6fb3;--retry:#c98a00;--parse:#7b4fc0;--bad:#b3261e;--mute:#8d96a0;--fg:#1f2328;--line:#d0d7de}',
  '*{box-sizing:border-box}',
  'html{-webkit-text-size-adjust:100%}',
  'body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:.75rem 1rem 2rem;color:var(--fg);max-width:80rem;overflow-wrap:break-word}',
  'h1{font-size:1.3rem;margin:.2rem 0}',
  'h2{font-size:1.05rem;margin:1rem 0 .35rem}',
  'h3{font-size:.95rem;margin:.8rem 0 .3rem}',
  '.sub{font-weight:400;color:#57606a;font-size:.85rem}',
  '.meta{margin:0;color:#57606a}',
  '.status .headline{margin:.4rem 0;font-size:1.05rem}',
  '.st{display:inline-block;padding:.05rem .5rem;border-radius:.7rem;font-weight:600;color:#fff}',
  '.st.st-ok{background:#1f7a35}.st.st-stop{background:var(--bad)}.st.st-running{background:var(--retry)}',
  'td.st-stop{color:var(--bad);font-weight:600}',
  '.facts{display:flex;flex-wrap:wrap;gap:.2rem 1.5rem;margin:.2rem 0}',
  '.facts div{display:flex;gap:.4rem}',
  '.other div{display:grid;grid-template-columns:9.5rem 1fr;gap:.5rem}',
  'dt{color:#57606a}dd{margin:0;font-weight:600}',
  '.other{display:grid;grid-template-columns:repeat(auto-fill,minmax(22rem,1fr));gap:.1rem 1.5rem;margin:.4rem 0}',
  '.other dd{font-weight:400}',
  '.tl{overflow-x:auto;border:1px solid var(--line);border-radius:4px;background:#fff}',
  'svg.timeline{display:block;width:100%;height:auto}',
  '.tl svg.timeline{min-width:600px}',
  '.row-label,.band-label,.tick{font:11px system-ui,sans-serif;fill:#444}',
  '.band-label{fill:#6a737d}',
  '.grid{stroke:#e5e8eb}.axis{stroke:#888}',
  '.o-ok{fill:var(--ok)}.o-retried{fill:var(--retry)}.o-parse_failure{fill:var(--parse)}.o-violation,.o-failed,.o-stop{fill:var(--bad)}.o-skipped{fill:#c4cad0}.o-unfinished{fill:var(--mute)}',
  'a rect.bar:hover{stroke:#000;stroke-width:1}',
  '.mark line{stroke-width:1.5;stroke-dasharray:3 2}',
  '.m-parse_failure line{stroke:var(--parse)}.m-parse_failure path{fill:var(--parse)}',
  '.m-violation line,.m-stop line{stroke:var(--bad)}.m-violation path,.m-stop path{fill:var(--bad)}',
  '.m-review_skipped line{stroke:var(--mute)}.m-review_skipped path{fill:var(--mute)}',
  '.m-resumed line{stroke:#1f7a35}.m-resumed path{fill:#1f7a35}',
  '.legend{font-size:.8rem;color:#57606a;margin:.3rem 0;display:flex;flex-wrap:wrap;gap:.2rem .8rem}',
  '.key{display:inline-flex;align-items:center;gap:.25rem}',
  '.bullets{display:grid;grid-template-columns:repeat(auto-fill,minmax(27rem,1fr));gap:.15rem 1.5rem}',
  '.kpi{display:grid;grid-template-columns:15rem minmax(4rem,1fr) 9rem;align-items:center;gap:.5rem;min-width:0}',
  '.kn{font-size:.85rem}',
  'svg.bullet{width:100%;height:16px;min-width:4rem}',
  '.kr{fill:#e3e8ee}.kr2{fill:#f6f8fa}.kt{stroke:#1f2328;stroke-width:2}',
  '.kv.k-ok,rect.k-ok{fill:var(--ok)}rect.k-over{fill:var(--bad)}rect.k-none{fill:var(--mute)}',
  'span.kv{white-space:nowrap;font-variant-numeric:tabular-nums;font-size:.85rem;text-align:right}',
  'span.kt{color:#57606a}',
  '.k-ok .mark{color:#1f7a35}.k-over .mark{color:var(--bad)}.k-none .mark{color:var(--mute)}',
  '.trends{display:flex;flex-wrap:wrap;gap:.5rem 1rem}',
  'figure{margin:0}figcaption{font-size:.8rem;color:#57606a}',
  'svg.trend{border:1px solid var(--line);border-radius:4px;background:#fff;max-width:100%;height:auto}',
  '.tl-line{fill:none;stroke:var(--ok);stroke-width:1.5}.tl-dot{fill:var(--ok)}.tl-over{fill:var(--bad)}.tl-target{stroke:#555;stroke-dasharray:4 3}',
  '.scroll{overflow-x:auto;max-width:100%}',
  'table{border-collapse:collapse;margin:.3rem 0 .8rem;font-size:.85rem}',
  'th,td{border:1px solid var(--line);padding:.2rem .45rem;text-align:left;vertical-align:top}',
  'th{background:#f6f8fa}',
  'tr.over td{background:#fdecea}',
  'details{margin:.4rem 0;padding:.3rem .6rem;border:1px solid var(--line);border-radius:4px}',
  'summary{cursor:pointer}',
  '.note{color:#8a5300}',
  'code{font-family:ui-monospace,monospace;font-size:.9em}',
  'a{color:#0b5cad}',
  '@media (max-width:640px){body{padding:.5rem}.other div{grid-template-columns:1fr}.kpi{grid-template-columns:1fr auto}.kpi svg.bullet{grid-column:1/-1;grid-row:2}.bullets{grid-template-columns:1fr}.other{grid-template-columns:1fr}}',
  '@media print{body{max-width:none;padding:0;font-size:11px}.tl,.scroll{overflow:visible}.tl svg.timeline{min-width:0}details{border:0;padding:0}section,tr,.kpi{break-inside:avoid}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}a{color:inherit}}',
].join('\n');
