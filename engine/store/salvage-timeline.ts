import type { TimelineEvent } from '../generated/event.js';
import { parseJson } from '../util/parse-json.js';

/** The events that could be used, and what was left out (one note, or none). */
export interface SalvagedTimeline {
  events: TimelineEvent[];
  notes: string[];
}

/**
 * The events of timeline text that a report can trust: each line that parses as JSON and
 * passes `isEvent` (the event schema), with a `seq` past the last one kept (the engine writes
 * 1, 2, … without gaps: a line whose seq repeats or goes back is a copy or was put there, and
 * counted it would add calls, parse failures or milestones no run made). A line that does
 * not is left out and named in a note; a last line without its newline was cut short by a
 * crash, never acknowledged, and is ignored as the engine itself ignores it. Pure.
 */
export function salvageTimeline(text: string, isEvent: (value: unknown) => boolean): SalvagedTimeline {
  const events: TimelineEvent[] = [];
  const bad: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = parseJson(line);
    } catch {
      if (i < lines.length - 1) bad.push(`line ${i + 1} (not JSON)`);
      return;
    }
    const why = isEvent(value) ? describeOutOfOrder(value as TimelineEvent, events) : describeInvalid(value);
    if (why === null) events.push(value as TimelineEvent);
    else bad.push(`line ${i + 1} (${why})`);
  });
  if (!bad.length) return { events, notes: [] };
  const shown = bad.length > 5 ? [...bad.slice(0, 5), `${bad.length - 5} more`] : bad;
  return { events, notes: [`timeline.jsonl: left out ${shown.join(', ')}; the KPIs of this run cover the other ${events.length} events`] };
}

/** Why an event cannot follow `kept` (its seq repeats or goes back), or null when it can. Pure. */
function describeOutOfOrder(event: TimelineEvent, kept: readonly TimelineEvent[]): string | null {
  const last = kept[kept.length - 1];
  return last === undefined || event.seq > last.seq ? null : `seq ${event.seq} repeats or goes back`;
}

function describeInvalid(value: unknown): string {
  const type = value && typeof value === 'object' ? (value as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? `not a valid "${type.slice(0, 40)}" event` : 'not a timeline event';
}

/**
 * The note for a timeline that is another run's: its `run.started` names a run id other than
 * `runId` (a run directory copied and its state.json given a new id, which pooled the same
 * milestones twice); null when it names this run or there is none. Pure.
 */
export function describeForeignTimeline(events: readonly TimelineEvent[], runId: string): string | null {
  const started = events.find((e) => e.type === 'run.started');
  if (started?.type !== 'run.started' || started.run_id === runId) return null;
  return `timeline.jsonl is the timeline of run ${started.run_id.slice(0, 100)} (its run.started says so), not of this one; no KPIs for this run`;
}
