import { createHash } from 'node:crypto';
import type { RunState } from '../generated/state.js';
import type { TimelineEvent } from '../generated/event.js';
import { exitCodeFor, STOP_REASONS, type StopReason } from '../vocabulary/stop-reasons.js';
import { parseJson } from '../util/parse-json.js';
import { MAX_TIMELINE_BYTES } from '../store/timeline.js';

/** A timeline resume can build on, or why not (the 1-based line of timeline.jsonl at fault). */
export type TimelineCheck = { ok: true; events: TimelineEvent[] } | { ok: false; line: number; message: string };

type CheckedState = Pick<RunState, 'status' | 'stop_reason' | 'last_seq' | 'timeline_bytes' | 'timeline_sha256' | 'inflight' | 'position' | 'machine'>;

/**
 * Resume trusts nothing the engine did not write (contract §5). The timeline is the
 * write-ahead log (docs/decisions/0002): state.json absorbs it up to `last_seq`, and the
 * events the engine appended after its last state.json (the crash window) are replayed. So:
 *
 * - the lines up to `last_seq` must be byte for byte what the engine wrote: their length and
 *   sha256 are in state.json (`timeline_bytes`, `timeline_sha256`);
 * - each line after them must be JSON with the next `seq`, no gap, no repeat;
 * - and together they must be something the engine writes after that state: nothing while a
 *   worker or command was in flight (the engine writes no event then), events of the step
 *   state.json stands at, at most one end of that step, `run.started` only first, and a
 *   `run.finished` only last and only with the stop its preceding events (or the persisted
 *   machine) lead to.
 *
 * A last line without its newline was cut short by a crash and is ignored, as the writer
 * ignores it. Pure.
 */
export function checkTimeline(bytes: Uint8Array, state: CheckedState): TimelineCheck {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length > MAX_TIMELINE_BYTES) {
    return { ok: false, line: 1, message: `timeline.jsonl is ${buf.length} bytes, more than the engine writes of a run (${MAX_TIMELINE_BYTES}); it was not the engine's writing` };
  }
  let prefixEnd: number;
  if (typeof state.timeline_bytes === 'number' && typeof state.timeline_sha256 === 'string') {
    prefixEnd = state.timeline_bytes;
    if (buf.length < prefixEnd) {
      return { ok: false, line: countLines(buf) + 1, message: `timeline.jsonl is shorter (${buf.length} bytes) than the ${prefixEnd} bytes the engine had written through seq ${state.last_seq} (state.json); lines were removed` };
    }
    const hash = 'sha256:' + createHash('sha256').update(buf.subarray(0, prefixEnd)).digest('hex');
    if (hash !== state.timeline_sha256) {
      const prefix = parseLines(buf.subarray(0, prefixEnd).toString('utf8'), 0);
      const at = prefix.findIndex((l, i) => l.event === null || l.event.seq !== i + 1);
      const line = at >= 0 ? prefix[at]!.line : 1;
      return { ok: false, line, message: `timeline.jsonl lines 1-${prefix.length} (through seq ${state.last_seq}) are not what the engine wrote: their sha256 differs from the one in state.json${at >= 0 ? `; line ${line} is the first that is out of place` : ''}` };
    }
  } else {
    // A run of an older engine: no hash; the lines through last_seq are taken as they are.
    prefixEnd = offsetAfterLines(buf, state.last_seq);
  }
  const prefixText = buf.subarray(0, prefixEnd).toString('utf8');
  const prefix = parseLines(prefixText, 0);
  for (const [i, l] of prefix.entries()) {
    if (!l.event) return { ok: false, line: l.line, message: `timeline.jsonl line ${l.line} is not a JSON event` };
    if (l.event.seq !== i + 1) return { ok: false, line: l.line, message: `timeline.jsonl line ${l.line} has seq ${String(l.event.seq)} where ${i + 1} was due` };
  }
  if (prefix.length !== state.last_seq) {
    return { ok: false, line: prefix.length + 1, message: `timeline.jsonl holds ${prefix.length} events where state.json has absorbed ${state.last_seq}; lines were removed` };
  }

  const tailText = buf.subarray(prefixEnd).toString('utf8');
  const tail = parseLines(tailText, prefix.length).filter((l) => !l.torn);
  const events = prefix.map((l) => l.event!);
  const bad = checkTail(tail, state);
  if (bad) return { ok: false, ...bad };
  return { ok: true, events: [...events, ...tail.map((l) => l.event!)] };
}

interface Line {
  line: number;
  event: TimelineEvent | null;
  /** The last piece of the text, without a newline: cut short by a crash. */
  torn: boolean;
}

function parseLines(text: string, before: number): Line[] {
  const pieces = text.split('\n');
  const out: Line[] = [];
  pieces.forEach((piece, i) => {
    const last = i === pieces.length - 1;
    if (last && piece === '') return;
    let event: TimelineEvent | null = null;
    try {
      const v = parseJson(piece);
      if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { type?: unknown }).type === 'string') event = v as TimelineEvent;
    } catch {
      /* not JSON */
    }
    out.push({ line: before + i + 1, event, torn: last });
  });
  return out;
}

/** Why the events after last_seq cannot be the engine's, or null. */
function checkTail(tail: Line[], state: CheckedState): { line: number; message: string } | null {
  const where = (l: Line) => `timeline.jsonl line ${l.line}`;
  let ended: TimelineEvent | null = null; // step.finished, step.skipped, step.stopped, doctor.blocked
  let budget: TimelineEvent | null = null;
  let resumed = false;
  let finished = false;
  for (const [i, l] of tail.entries()) {
    const e = l.event;
    if (!e) return { line: l.line, message: `${where(l)} is not a JSON event; the engine did not write it` };
    const due = state.last_seq + 1 + i;
    if (e.seq !== due) return { line: l.line, message: `${where(l)} has seq ${String(e.seq)} where ${due} was due (a gap, a repeat or a line the engine did not write)` };
    const foreign = (why: string) => ({ line: l.line, message: `${where(l)} (seq ${e.seq}, ${JSON.stringify(e.type)}) was not written by the engine: ${why}` });
    if (finished) return foreign('it follows run.finished');
    if (state.status !== 'running' && e.type !== 'run.resumed' && !(resumed && e.type === 'warning')) {
      return foreign(`state.json says the run ${state.status === 'completed' ? 'completed' : 'stopped'} (${String(state.stop_reason ?? state.status)}), and the engine writes nothing after that but a resume's own events`);
    }
    if (state.inflight && e.type !== 'run.resumed' && !(resumed && e.type === 'warning')) {
      return foreign(`state.json says ${state.inflight.call ? `worker call ${state.inflight.call}` : `a command of step ${state.inflight.step}`} was running, and the engine writes no event while one runs`);
    }
    if (resumed && e.type !== 'run.resumed' && e.type !== 'warning') return foreign('only a resume\'s own events follow run.resumed before state.json is written');
    switch (e.type) {
      case 'run.resumed':
        resumed = true;
        continue;
      case 'warning':
        // A warning changes nothing; it may come at any point the engine writes at all.
        if (!resumed && e.step !== null && e.step !== state.position.step) return foreign(`state.json stands at step ${JSON.stringify(state.position.step)}, and the engine writes events of that step only`);
        if (!resumed && ended) return foreign(`it comes after the end at seq ${ended.seq}`);
        continue;
      case 'run.started':
        if (state.last_seq !== 0 || i !== 0) return foreign('a run starts only once, first');
        continue;
      case 'run.finished': {
        const why = checkFinished(e, ended ?? budget, state);
        if (why) return foreign(why);
        finished = true;
        continue;
      }
    }
    if (ended) return foreign(ended.type === 'step.stopped' || ended.type === 'doctor.blocked' ? `the run stopped at seq ${ended.seq}; only run.finished follows` : `step ${ended.step} ended at seq ${ended.seq}, and state.json is written right after a step ends`);
    if (budget && e.type !== 'step.stopped') return foreign(`a budget ran out at seq ${budget.seq}; only the step's stop or run.finished follows`);
    if (e.type === 'doctor.blocked') {
      // Right after run.started, before the first step.
      if (e.seq !== 2) return foreign('the doctor blocks a run only right after run.started');
      ended = e;
      continue;
    }
    if (e.step !== state.position.step) return foreign(`state.json stands at step ${JSON.stringify(state.position.step)}, and the engine writes events of that step only`);
    if (e.type === 'budget.exhausted') budget = e;
    if (e.type === 'step.finished' || e.type === 'step.skipped' || e.type === 'step.stopped') ended = e;
  }
  return null;
}

/** Why this run.finished cannot follow these events and this state, or null. Pure. */
function checkFinished(e: Extract<TimelineEvent, { type: 'run.finished' }>, ended: TimelineEvent | null, state: CheckedState): string | null {
  const reason = e.stop_reason as StopReason;
  if (!(STOP_REASONS as readonly string[]).includes(reason)) return `"${String(e.stop_reason)}" is no stop reason`;
  if (e.status !== (reason === 'completed' ? 'completed' : 'stopped')) return `status ${e.status} does not go with stop reason ${reason}`;
  if (e.exit_code !== exitCodeFor(reason)) return `exit code ${e.exit_code} does not go with stop reason ${reason}`;
  if (ended?.type === 'step.stopped') return ended.stop_reason === reason ? null : `step ${ended.step} stopped with ${ended.stop_reason}, not ${reason}`;
  if (ended?.type === 'budget.exhausted') return reason === 'budget_exhausted' ? null : `a budget ran out, so the stop is budget_exhausted, not ${reason}`;
  if (ended?.type === 'doctor.blocked') return reason === 'doctor_blocked' ? null : `the doctor blocked the run, so the stop is doctor_blocked, not ${reason}`;
  if (ended) return `step ${ended.step} ended at seq ${ended.seq} and state.json was not written after it`;
  if (reason === 'interrupted') return null;
  const machine = state.machine as { status?: unknown; context?: { stop?: { reason?: unknown } | null } };
  if (machine.status === 'done' && machine.context?.stop?.reason === reason) return null;
  return `state.json stands at step ${JSON.stringify(state.position.step)} of a pipeline that has not reached a ${reason} stop`;
}

function countLines(buf: Buffer): number {
  let n = 0;
  for (const b of buf) if (b === 0x0a) n++;
  return n;
}

/** The byte offset just after the n-th newline (the whole buffer when it has fewer). */
function offsetAfterLines(buf: Buffer, n: number): number {
  let at = 0;
  for (let k = 0; k < n; k++) {
    const nl = buf.indexOf(0x0a, at);
    if (nl < 0) return buf.length;
    at = nl + 1;
  }
  return at;
}
