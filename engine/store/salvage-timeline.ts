import type { TimelineEvent } from '../generated/event.js';
import { parseJson } from '../util/parse-json.js';

/** The events that could be used, and what was left out (one note, or none). */
export interface SalvagedTimeline {
  events: TimelineEvent[];
  notes: string[];
}

/**
 * The events of timeline text that a report can trust: each line that parses as JSON and
 * passes `isEvent` (the event schema). A line that does not is left out and named in a note;
 * a last line without its newline was cut short by a crash, never acknowledged, and is
 * ignored as the engine itself ignores it. Pure.
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
    if (isEvent(value)) events.push(value as TimelineEvent);
    else bad.push(`line ${i + 1} (${describeInvalid(value)})`);
  });
  if (!bad.length) return { events, notes: [] };
  const shown = bad.length > 5 ? [...bad.slice(0, 5), `${bad.length - 5} more`] : bad;
  return { events, notes: [`timeline.jsonl: left out ${shown.join(', ')}; the KPIs of this run cover the other ${events.length} events`] };
}

function describeInvalid(value: unknown): string {
  const type = value && typeof value === 'object' ? (value as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? `not a valid "${type.slice(0, 40)}" event` : 'not a timeline event';
}
