import type { TimelineEvent } from '../generated/event.js';
import { maxOf } from '../util/many.js';

/** How a bar or mark ended, which sets its colour (and its word in the hover title). */
export type Outcome = 'ok' | 'retried' | 'parse_failure' | 'violation' | 'failed' | 'stop' | 'skipped' | 'unfinished';

/** One worker call, verification run or checkpoint on the time axis (ms from the run's first event). */
export interface TimelineBar {
  kind: 'worker' | 'verify' | 'checkpoint';
  /** The row it is drawn in: the worker's name, `verification` or `checkpoint`. */
  row: string;
  start_ms: number;
  end_ms: number;
  outcome: Outcome;
  /** What the hover title says after the row: `implement m2 attempt 1: ok, 1.2 s, 2000 in / 30 out tokens`. */
  label: string;
  milestone: number | null;
  /** The record it came from, relative to the run directory (`calls/0004-implement-implementer`, `verify/0001-tier0.log`), or null. */
  record: string | null;
}

/** Something that happened at one moment: a parse failure, a violation, a skipped review, a resume, the stop. */
export interface TimelineMark {
  kind: 'parse_failure' | 'violation' | 'review_skipped' | 'resumed' | 'stop';
  at_ms: number;
  label: string;
}

/** A milestone's span, drawn behind the bars. */
export interface TimelineBand {
  index: number;
  id: string;
  start_ms: number;
  end_ms: number;
  done: boolean;
}

/** A run's timeline as the report draws it. */
export interface RunTimeline {
  /** The first event's time (ISO), the origin of every `*_ms`. */
  origin: string;
  span_ms: number;
  rows: string[];
  bars: TimelineBar[];
  marks: TimelineMark[];
  bands: TimelineBand[];
}

/** What `buildTimeline` gathers while it walks the events. */
interface Draft {
  end: number;
  bars: TimelineBar[];
  marks: TimelineMark[];
  bands: TimelineBand[];
  workers: string[];
  open: Map<string, TimelineBar>;
  parseFailed: Set<string>;
  violated: Set<string>;
  checkpointStart: Map<string, number>;
}

/**
 * The timeline a run's events draw: one bar per worker call (`worker.started`, ended by its
 * `worker.finished` or, when the run stopped inside it, by the last event), one per
 * verification run (`verify.finished`) and one per checkpoint step; marks for parse failures,
 * violations, skipped reviews, resumes and the stop; a band per milestone. Rows: the workers
 * in the order they first ran, then `verification`, then `checkpoint`. Pure.
 */
export function buildTimeline(events: readonly TimelineEvent[]): RunTimeline | null {
  if (!events.length) return null;
  const t0 = Date.parse(events[0]!.ts);
  const at = (ts: string) => Math.max(0, Date.parse(ts) - t0);
  const d: Draft = { end: maxOf(events.map((e) => at(e.ts))), bars: [], marks: [], bands: [], workers: [], open: new Map(), parseFailed: new Set(), violated: new Set(), checkpointStart: new Map() };
  for (const e of events) {
    if (e.type === 'parse.failed') d.parseFailed.add(e.call);
    if (e.type === 'governance.violation') d.violated.add(e.call);
  }
  for (const e of events) {
    const ms = at(e.ts);
    drawCall(d, e, ms);
    drawVerifyOrCheckpoint(d, e, ms);
    drawBand(d, e, ms);
    const mark = markOf(e, ms);
    if (mark) d.marks.push(mark);
  }
  // A band still open ends where the next milestone starts, or at the run's last event.
  d.bands.forEach((b, i) => {
    if (!b.done && d.bands[i + 1]) b.end_ms = Math.min(b.end_ms, d.bands[i + 1]!.start_ms);
  });
  const rows = [...d.workers, ...(d.bars.some((b) => b.kind === 'verify') ? ['verification'] : []), ...(d.bars.some((b) => b.kind === 'checkpoint') ? ['checkpoint'] : [])];
  return { origin: events[0]!.ts, span_ms: d.end, rows, bars: d.bars, marks: d.marks, bands: d.bands };
}

/** A worker call's bar: opened by `worker.started`, closed (outcome and label) by its `worker.finished`. */
function drawCall(d: Draft, e: TimelineEvent, ms: number): void {
  if (e.type === 'worker.started') {
    if (!d.workers.includes(e.worker)) d.workers.push(e.worker);
    const bar: TimelineBar = { kind: 'worker', row: e.worker, start_ms: ms, end_ms: d.end, outcome: 'unfinished', label: `${e.phase}${where(e)}: no end recorded`, milestone: e.milestone, record: e.call };
    d.open.set(e.call, bar);
    d.bars.push(bar);
    return;
  }
  if (e.type !== 'worker.finished') return;
  let bar = d.open.get(e.call);
  if (!bar) {
    // A finish without its start (a damaged timeline): drawn from its duration.
    if (!d.workers.includes(e.worker)) d.workers.push(e.worker);
    bar = { kind: 'worker', row: e.worker, start_ms: Math.max(0, ms - e.duration_ms), end_ms: ms, outcome: 'ok', label: '', milestone: e.milestone, record: e.call };
    d.bars.push(bar);
  }
  d.open.delete(e.call);
  bar.end_ms = Math.max(bar.start_ms, ms);
  bar.outcome = d.violated.has(e.call) ? 'violation' : d.parseFailed.has(e.call) ? 'parse_failure' : e.outcome !== 'ok' ? 'failed' : (e.attempt ?? 1) > 1 ? 'retried' : 'ok';
  const tokens = e.usage ? `, ${e.usage.input_tokens ?? 0} in / ${e.usage.output_tokens ?? 0} out tokens` : '';
  const phase = bar.label.split(/[: ]/)[0] || e.step || 'call';
  bar.label = `${phase}${where(e)}: ${describeOutcome(bar.outcome, e.outcome)}, ${seconds(e.duration_ms)}${tokens}`;
}

/** A verification run's bar, and a checkpoint step's bar from its start to its end. */
function drawVerifyOrCheckpoint(d: Draft, e: TimelineEvent, ms: number): void {
  if (e.type === 'verify.finished') {
    d.bars.push({
      kind: 'verify',
      row: 'verification',
      start_ms: Math.max(0, ms - e.duration_ms),
      end_ms: ms,
      outcome: e.skipped ? 'skipped' : e.pass ? ((e.attempt ?? 1) > 1 ? 'retried' : 'ok') : 'failed',
      label: `${e.tier}${where(e)}: ${e.skipped ? 'skipped' : e.pass ? 'pass' : 'fail'}, ${seconds(e.duration_ms)}${e.commands.length ? ` (${e.commands.map((c) => c.command).join('; ')})` : ''}`,
      milestone: e.milestone,
      record: e.log ?? null,
    });
  } else if (e.type === 'step.started' && e.kind === 'checkpoint') {
    d.checkpointStart.set(`${e.step}#${e.milestone}#${e.attempt}`, ms);
  } else if ((e.type === 'step.finished' || e.type === 'step.stopped') && e.kind === 'checkpoint') {
    const start = d.checkpointStart.get(`${e.step}#${e.milestone}#${e.attempt}`) ?? ms;
    const outcome: Outcome = e.type === 'step.stopped' ? 'stop' : 'ok';
    d.bars.push({ kind: 'checkpoint', row: 'checkpoint', start_ms: start, end_ms: ms, outcome, label: `checkpoint${where(e)}: ${e.type === 'step.stopped' ? 'stopped' : e.outcome}, ${seconds(ms - start)}`, milestone: e.milestone, record: null });
  }
}

/** A milestone's band: opened by `milestone.started`, closed by its `milestone.finished`. */
function drawBand(d: Draft, e: TimelineEvent, ms: number): void {
  if (e.type === 'milestone.started') d.bands.push({ index: e.milestone ?? d.bands.length + 1, id: e.id, start_ms: ms, end_ms: d.end, done: false });
  if (e.type !== 'milestone.finished') return;
  const band = [...d.bands].reverse().find((b) => b.index === e.milestone && !b.done);
  if (band) {
    band.end_ms = ms;
    band.done = true;
  }
}

/** The mark an event makes at its moment, if any. */
function markOf(e: TimelineEvent, ms: number): TimelineMark | null {
  switch (e.type) {
    case 'parse.failed':
      return { kind: 'parse_failure', at_ms: ms, label: `parse failure${where(e)}: ${e.error}` };
    case 'governance.violation':
      return { kind: 'violation', at_ms: ms, label: `governance violation${where(e)}: ${e.violations.map((v) => `${v.path} (${v.rule})`).join(', ')}` };
    case 'review.skipped':
      return { kind: 'review_skipped', at_ms: ms, label: `review skipped${where(e)}: ${e.review_skipped_reason}` };
    case 'run.resumed':
      return { kind: 'resumed', at_ms: ms, label: 'run resumed' };
    case 'run.finished':
      return e.status !== 'completed' ? { kind: 'stop', at_ms: ms, label: `stopped: ${e.stop_reason}` } : null;
    default:
      return null;
  }
}

function where(e: { milestone: number | null; attempt: number | null }): string {
  return `${e.milestone !== null ? ` m${e.milestone}` : ''}${e.attempt !== null && e.attempt > 1 ? ` attempt ${e.attempt}` : ''}`;
}

function describeOutcome(o: Outcome, raw: string): string {
  if (o === 'parse_failure') return 'parse failure';
  if (o === 'violation') return 'governance violation';
  if (o === 'failed') return raw.replace('_', ' ');
  return o === 'retried' ? 'ok (retry)' : 'ok';
}

/** `1.2 s`, `340 ms`. Pure. */
export function seconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms)} ms`;
}
