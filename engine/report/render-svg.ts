import type { KpiRow } from '../kpi/targets.js';
import { seconds, type Outcome, type RunTimeline } from './build-timeline.js';
import { maxOf, minOf } from '../util/many.js';

// Inline SVG for the HTML report: a run's timeline, KPI bullet bars, small trend charts.
// No script, no external asset; every text is escaped; hover titles are SVG <title>s. Pure.

/**
 * Text made safe for XML/HTML content and attribute values: markup escaped, and the control and
 * bidirectional characters a worker can put in a name, a file name or an answer shown as U+FFFD
 * (tabs and line breaks kept; a lone carriage return, which a terminal would write over the
 * line with, is not), so the file holds nothing a terminal would obey when it is printed, nor
 * text that reads in another order than it runs. The timeline's titles (file names of a
 * governance violation, a parse error) go through here as the page's other texts do. Pure.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '\ufffd')
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The words of each outcome, for the legend and the titles. */
export const OUTCOME_WORDS: Record<Outcome, string> = {
  ok: 'ok',
  retried: 'retry (attempt > 1)',
  parse_failure: 'parse failure',
  violation: 'governance violation',
  failed: 'failed',
  stop: 'stop',
  skipped: 'skipped',
  unfinished: 'no end recorded',
};

const W = 960;
const LABEL = 110;
const ROW = 22;
const TOP = 18;
const AXIS = 20;

/**
 * A run's timeline as an SVG element: a row per worker (then verification, checkpoint), a bar
 * per call, verification run and checkpoint (class `bar`, `data-kind` worker|verify|checkpoint,
 * `data-outcome`), milestone bands behind them, marks for parse failures, violations, skipped
 * reviews, resumes and the stop, and a time axis. `href(record)` gives a bar's link to its
 * record (a call's transcript, a verification log) or null. Pure.
 */
export function renderTimelineSvg(tl: RunTimeline, href: (record: string) => string | null = () => null): string {
  const span = Math.max(tl.span_ms, 1);
  const plot = W - LABEL - 10;
  const x = (ms: number) => LABEL + (ms / span) * plot;
  const height = TOP + tl.rows.length * ROW + AXIS;
  const rowY = (row: string) => TOP + Math.max(0, tl.rows.indexOf(row)) * ROW;
  const parts: string[] = [];
  parts.push(`<svg class="timeline" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="timeline of the run: ${tl.bars.length} bars over ${escapeXml(seconds(tl.span_ms))}">`);
  tl.bands.forEach((b, i) => {
    const x0 = x(b.start_ms);
    const w = Math.max(1, x(b.end_ms) - x0);
    parts.push(`<g class="band"><rect x="${f(x0)}" y="0" width="${f(w)}" height="${TOP + tl.rows.length * ROW}" fill="${i % 2 ? '#eef2f7' : '#f6f8fb'}"><title>${escapeXml(`milestone ${b.index} ${b.id}: ${b.done ? seconds(b.end_ms - b.start_ms) : 'not finished'}`)}</title></rect><text x="${f(x0 + 3)}" y="12" class="band-label">${escapeXml(b.id === `m${b.index}` ? b.id : `m${b.index} ${b.id}`)}</text></g>`);
  });
  tl.rows.forEach((row, i) => {
    const y = TOP + i * ROW;
    parts.push(`<text x="4" y="${y + 15}" class="row-label">${escapeXml(row.length > 16 ? row.slice(0, 15) + '…' : row)}</text><line x1="${LABEL}" x2="${W - 10}" y1="${y + ROW}" y2="${y + ROW}" class="grid"/>`);
  });
  for (const bar of tl.bars) {
    const x0 = x(bar.start_ms);
    const w = Math.max(2, x(bar.end_ms) - x0);
    const title = `<title>${escapeXml(`${bar.row} — ${bar.label}`)}</title>`;
    const rect = `<rect class="bar o-${bar.outcome}" data-kind="${bar.kind}" data-outcome="${bar.outcome}" x="${f(x0)}" y="${rowY(bar.row) + 4}" width="${f(w)}" height="${ROW - 8}" rx="2">${title}</rect>`;
    const link = bar.record ? href(bar.record) : null;
    parts.push(link ? `<a href="${escapeXml(link)}">${rect}</a>` : rect);
  }
  for (const m of tl.marks) {
    const mx = x(m.at_ms);
    const y1 = TOP;
    const y2 = TOP + tl.rows.length * ROW;
    parts.push(`<g class="mark m-${m.kind}" data-mark="${m.kind}"><line x1="${f(mx)}" x2="${f(mx)}" y1="${y1}" y2="${y2}"/><path d="M${f(mx - 5)} ${y1 - 8} L${f(mx + 5)} ${y1 - 8} L${f(mx)} ${y1 - 1} Z"/><title>${escapeXml(m.label)}</title></g>`);
  }
  const axisY = TOP + tl.rows.length * ROW;
  for (const tick of ticks(span)) {
    const tx = x(tick);
    parts.push(`<line x1="${f(tx)}" x2="${f(tx)}" y1="${axisY}" y2="${axisY + 4}" class="axis"/><text x="${f(tx)}" y="${axisY + 15}" text-anchor="middle" class="tick">${escapeXml(seconds(tick).replace(' ', '\u202f'))}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** The legend of the timeline's colours and marks, as HTML. Pure. */
export function renderTimelineLegend(): string {
  const swatch = (o: Outcome) => `<span class="key"><svg width="14" height="10" aria-hidden="true"><rect class="o-${o}" width="14" height="10" rx="2"/></svg>${escapeXml(OUTCOME_WORDS[o])}</span>`;
  const mark = (k: string, word: string) => `<span class="key"><svg width="12" height="10" aria-hidden="true"><g class="mark m-${k}"><path d="M1 1 L11 1 L6 9 Z"/></g></svg>${escapeXml(word)}</span>`;
  return `<p class="legend">${(['ok', 'retried', 'parse_failure', 'violation', 'failed', 'skipped', 'unfinished'] as Outcome[]).map(swatch).join(' ')} ${mark('parse_failure', 'parse failure')} ${mark('violation', 'violation')} ${mark('review_skipped', 'review skipped')} ${mark('stop', 'stop')}</p>`;
}

/** Nice tick positions (ms) for a span: 4–8 ticks at 1/2/5 × 10^n. Pure. */
export function ticks(span: number): number[] {
  const raw = span / 6;
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const out: number[] = [];
  for (let t = 0; t <= span + 1e-9; t += step) out.push(t);
  return out;
}

/**
 * A KPI row as a bullet bar: the value's bar on a scale that shows the target (a tick), the
 * bar in the over colour past the target. The words (`over`/`ok`) are beside it in the HTML,
 * so colour is never the only signal. Pure.
 */
export function renderBullet(row: KpiRow): string {
  const bw = 200;
  const h = 16;
  const max = Math.max(row.target * 1.5, row.value ?? 0, row.target === 0 ? 1 : 0) || 1;
  const sx = (v: number) => (v / max) * bw;
  const tx = sx(row.target);
  const state = row.ok === null ? 'none' : row.ok ? 'ok' : 'over';
  const valueBar = row.value === null ? '' : `<rect class="kv k-${state}" x="0" y="4" width="${f(Math.max(row.value > 0 ? 2 : 0, sx(row.value)))}" height="8"/>`;
  const title = `${row.name}: ${row.value === null ? 'no value' : row.value} (target ${row.op} ${row.target})${row.ok === null ? '' : row.ok ? ', ok' : ', over target'}`;
  return `<svg class="bullet" viewBox="0 0 ${bw} ${h}" width="${bw}" height="${h}" role="img" aria-label="${escapeXml(title)}" data-kpi="${escapeXml(row.name)}" data-state="${state}"><title>${escapeXml(title)}</title><rect class="kr" x="0" y="2" width="${f(Math.min(bw, tx))}" height="12"/><rect class="kr2" x="${f(Math.min(bw, tx))}" y="2" width="${f(Math.max(0, bw - tx))}" height="12"/>${valueBar}<line class="kt" x1="${f(tx)}" x2="${f(tx)}" y1="0" y2="${h}"/></svg>`;
}

/** One point of a trend: a run and its value (null: no value, a gap). */
export interface TrendPoint {
  run_id: string;
  value: number | null;
}

/**
 * A small trend chart of one KPI over runs (oldest left): a line through the values, a dot
 * per run (its title names the run and value), the target as a dashed line. Pure.
 */
export function renderTrend(name: string, points: readonly TrendPoint[], target: number | null): string {
  const w = 240;
  const h = 70;
  const pad = 6;
  const values = points.map((p) => p.value).filter((v): v is number => v !== null);
  const max = Math.max(maxOf(values), target ?? 0, 1e-9) * 1.1;
  const sx = (i: number) => pad + (points.length === 1 ? (w - 2 * pad) / 2 : (i / (points.length - 1)) * (w - 2 * pad));
  const sy = (v: number) => h - pad - (v / max) * (h - 2 * pad);
  const segments: string[][] = [[]];
  points.forEach((p, i) => {
    if (p.value === null) segments.push([]);
    else segments.at(-1)!.push(`${f(sx(i))},${f(sy(p.value))}`);
  });
  const lines = segments.filter((s) => s.length > 1).map((s) => `<polyline points="${s.join(' ')}" class="tl-line"/>`);
  const dots = points.flatMap((p, i) => (p.value === null ? [] : [`<circle cx="${f(sx(i))}" cy="${f(sy(p.value))}" r="3" class="${target !== null && p.value > target ? 'tl-over' : 'tl-dot'}"><title>${escapeXml(`${p.run_id}: ${p.value}`)}</title></circle>`]));
  const tline = target === null ? '' : `<line x1="0" x2="${w}" y1="${f(sy(target))}" y2="${f(sy(target))}" class="tl-target"><title>${escapeXml(`target ≤ ${target}`)}</title></line>`;
  const label = `${name}: ${values.length ? `${values.at(-1)} latest, ${minOf(values)}–${maxOf(values)}` : 'no values'}${target !== null ? `, target ≤ ${target}` : ''}`;
  return `<svg class="trend" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${escapeXml(label)}"><title>${escapeXml(label)}</title>${tline}${lines.join('')}${dots.join('')}</svg>`;
}

function f(n: number): string {
  return String(Math.round(n * 10) / 10);
}
