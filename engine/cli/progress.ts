import { printable } from '../util/printable.js';
import type { TimelineEvent } from '../generated/event.js';
import type { CliIo } from './io.js';
import { plural } from '../util/plural.js';
import { describeLeftOut, describeUnmatchedShares } from '../git/workspace.js';
import { engineCommandAnywhere } from '../vocabulary/engine-command.js';

/**
 * Progress of a run on stderr from its timeline events: on a TTY one live line (phase,
 * milestone n/N, worker, elapsed) redrawn in place; otherwise plain lines, no escape codes.
 * With --json nothing here: stdout carries the events. Impure (writes stderr, a timer).
 */
export function createProgress(io: CliIo, live: boolean): { onEvent: (e: TimelineEvent) => void; say: (text: string) => void; stop: () => void } {
  const started = Date.now();
  let milestones = 0;
  /** The findings a doctor.blocked event listed (0: none came), and its command that checks the run's pipeline, repo and policy again. */
  let blocked = 0;
  let doctor = '';
  let current = '';
  let timer: NodeJS.Timeout | undefined;
  const draw = (): void => {
    if (!live || !current) return;
    const elapsed = elapsedSince(started);
    io.stderr(`\r\x1b[2K${fitLine(printable(current), io.columns?.(), elapsed.length + 1)} ${dim(io, elapsed)}`);
  };
  if (live) timer = setInterval(draw, 500).unref();

  // Lines carry what workers wrote (milestone ids, parse errors, stop details): shown, never
  // obeyed by the terminal (docs/governance.md).
  // One line each: a line break in what a worker wrote (its stderr in a stop's detail) made
  // lines of its own below the real stop, a "run completed" among them.
  const line = (raw: string): void => {
    const text = printable(raw.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ⏎ '));
    if (live) io.stderr(`\r\x1b[2K${text}\n`);
    else io.stderr(`${text}\n`);
    draw();
  };

  const where = (e: TimelineEvent): string => (e.milestone ? `[${e.milestone}/${milestones || '?'}] ` : '');
  return {
    onEvent(e) {
      switch (e.type) {
        case 'run.started':
          line(`run ${e.run_id} on ${e.branch} — ${e.pipeline.name}`);
          if (e.dirty_user_tree) line(`note: ${describeLeftOut(e.base_sha)}`);
          if (e.share_unmatched?.length) line(`note: ${describeUnmatchedShares(e.share_unmatched)}`);
          break;
        case 'plan.accepted':
          milestones = e.milestones.length;
          line(`plan: ${plural(milestones, 'milestone')} (${e.milestones.map((m) => m.id).join(', ')})`);
          break;
        case 'step.started':
          current = `${where(e)}${e.step} (${e.kind})${e.attempt && e.attempt > 1 ? ` attempt ${e.attempt}` : ''}`;
          if (!live && e.kind !== 'advance' && e.kind !== 'decide') line(`${where(e)}${e.step}…`);
          else draw();
          break;
        case 'worker.started':
          current = `${where(e)}${e.step}: ${e.worker} (${e.plugin}, ${e.phase})`;
          draw();
          break;
        case 'run.resumed':
          // The plan was accepted in an earlier session: its size comes with the resume.
          if (e.milestones_planned) milestones = e.milestones_planned;
          line(`resumed at ${e.step ?? 'end'}${e.repeated_step ? ` (repeating ${e.repeated_step})` : ''}`);
          break;
        case 'doctor.blocked':
          // One line a finding, with what to do: the stop's one-line detail gave only the
          // findings, and the install command of a missing CLI was in memo.md alone.
          line('blocked before the first step; the preflight found:');
          for (const f of e.findings) line(`  ${f.id}: ${f.message}${f.hint ? ` — ${f.hint}` : ''}`);
          blocked = e.findings.length;
          doctor = e.doctor ?? engineCommandAnywhere('doctor');
          break;
        case 'run.finished':
          current = '';
          if (e.stop_reason === 'doctor_blocked' && blocked) line(`run ${e.status}: doctor_blocked — fix what is above (${plural(blocked, 'finding')}), then start a new run; \`${doctor}\` checks again`);
          else line(`run ${e.status}: ${e.stop_reason}${e.status === 'completed' ? '' : ` — ${e.detail}`}`);
          break;
        default: {
          const text = stepLine(e, where(e));
          if (text !== null) line(text);
        }
      }
    },
    /** A line of the engine's own, above the live line. */
    say: line,
    stop() {
      if (timer) clearInterval(timer);
      if (live) io.stderr('\r\x1b[2K');
    },
  };
}

/**
 * What a worker call's line says after its outcome: for a call that ended, whether its answer
 * held a valid markers block; for one that did not (failed, timed out, interrupted), why, on
 * one line of at most 100 characters: "incomplete, no valid markers" read as if an
 * interrupted call had answered badly. Pure.
 */
function callEnd(e: Extract<TimelineEvent, { type: 'worker.finished' }>): string {
  if (e.outcome === 'ok') return e.markers_ok ? '' : ', no valid markers';
  if (!e.error) return '';
  const why = e.error.replace(/\s+/g, ' ').trim();
  return ` (${why.length > 100 ? `${why.slice(0, 99)}…` : why})`;
}

/** The one line an event of a step gets (`w`: where, "[2/3] "), or null for an event without one. Pure. */
function stepLine(e: TimelineEvent, w: string): string | null {
  switch (e.type) {
    case 'worker.finished':
      return `${w}${e.step}: ${e.worker} ${e.outcome}${callEnd(e)} in ${(e.duration_ms / 1000).toFixed(1)}s`;
    case 'parse.failed':
      return `${w}${e.step}: parse failure (${e.error}); ${e.retries_left} repair(s) left`;
    case 'kpi.decision':
      return `${w}${e.step ? `${e.step}: ` : ''}KPI ${e.kpi} ${e.value} (target ${e.target}): ${e.detail}`;
    case 'verify.finished':
      return `${w}${e.tier}: ${e.skipped ? 'skipped' : e.pass ? 'pass' : 'FAIL'} (${plural(e.commands.length, 'command')})`;
    case 'command.finished':
      return `${w}${e.step}: ${commandEnd(e)}`;
    case 'review.skipped':
      return `${w}review skipped: ${e.review_skipped_reason}`;
    case 'checkpoint.created':
      return `${w}checkpoint ${e.sha.slice(0, 10)} (${plural(e.files, 'file')}, +${e.added} -${e.removed})`;
    case 'checkpoint.skipped':
      return `${w}no checkpoint: ${e.reason}`;
    default:
      return null;
  }
}

/**
 * The live line cut to the terminal's width (`columns`, less `reserve` for what follows it),
 * counted in the columns a terminal gives each character (two for the wide ones: CJK,
 * Hangul, fullwidth forms, emoji): a line that wraps is not taken back by the carriage return
 * that redraws it, and a narrow terminal filled with a copy at every redraw. Pure.
 */
export function fitLine(text: string, columns: number | undefined, reserve: number): string {
  if (!columns || columns <= 0) return text;
  const room = columns - 1 - reserve;
  const chars = [...text];
  const width = (c: string): number => (WIDE.test(c) ? 2 : 1);
  if (chars.reduce((n, c) => n + width(c), 0) <= room) return text;
  let used = 0;
  let out = '';
  for (const c of chars) {
    if (used + width(c) > room - 1) break;
    out += c;
    used += width(c);
  }
  return room <= 1 ? out : `${out}…`;
}

/** The characters a terminal gives two columns (East Asian Wide and Fullwidth, and emoji). */
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;

/** Minutes and seconds since `started` (ms since the epoch), as m:ss. Impure (the clock). */
function elapsedSince(started: number): string {
  const s = Math.round((Date.now() - started) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** How a command step's command ended; its log named when it did not succeed (that is where to look). Pure. */
function commandEnd(e: Extract<TimelineEvent, { type: 'command.finished' }>): string {
  const how = e.timed_out ? `timed out after ${(e.duration_ms / 1000).toFixed(1)}s` : `exit ${e.exit_code ?? 'by signal'} in ${(e.duration_ms / 1000).toFixed(1)}s`;
  return `${how}${e.exit_code === 0 && !e.timed_out ? '' : ` (${e.log})`}`;
}

function dim(io: CliIo, text: string): string {
  return io.color ? `\x1b[2m${text}\x1b[0m` : text;
}
