/**
 * Helpers shared by the stream parsers. Pure.
 */
import type { NormalizedEvent, OutcomeClass, ProcessExit, Usage } from '../types.js';
import { parseJson } from '../../util/parse-json.js';

export type JsonObject = Record<string, unknown>;

/** The line as a JSON object, or null for noise (non-JSON, or JSON that is not an object). */
export function parseJsonObject(line: string): JsonObject | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return null;
  try {
    const value: unknown = parseJson(trimmed);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}


/** Counts event types a parser did not know, and turns a line into an `unknown` event. */
export class UnknownCounter {
  readonly counts: Record<string, number> = {};
  note(type: string, raw: unknown): NormalizedEvent {
    this.counts[type] = (this.counts[type] ?? 0) + 1;
    return { kind: 'unknown', type, raw };
  }
}

/** A noise line is kept (shortened) and counted under `non_json_line`. */
export const NON_JSON = 'non_json_line';
export function clip(text: string, max = 2000): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more chars)` : text;
}

/**
 * One stdout line of a CLI that writes a JSON object per line: a blank line is skipped, a
 * line that is not a JSON object is kept as noise, an object is counted and handed to
 * `handle`. Pure but for the state it updates.
 */
export function readJsonLine(st: { unknown: UnknownCounter; eventCount: number }, text: string, handle: (obj: JsonObject) => NormalizedEvent[]): NormalizedEvent[] {
  if (text.trim() === '') return [];
  const obj = parseJsonObject(text);
  if (!obj) return [st.unknown.note(NON_JSON, clip(text, 500))];
  st.eventCount += 1;
  return handle(obj);
}


export function usageEvent(u: Usage): NormalizedEvent {
  return { kind: 'usage', input_tokens: u.input_tokens, output_tokens: u.output_tokens, cached_input_tokens: u.cached_input_tokens };
}

/**
 * The outcome of a stream that ended without its terminal event. A process that printed no
 * events, wrote text on stderr and exited non-zero was never really started by its CLI
 * (usage error, "requires --verbose", untrusted dir): a failure carrying the stderr text.
 * Anything else that stops short is `incomplete`.
 */
export function decideWithoutTerminal(
  exit: ProcessExit,
  stderr: string,
  eventCount: number,
  lastError: string | null,
): { outcome: OutcomeClass; error: string } {
  if (exit.spawnError) return { outcome: 'failed', error: `could not start the worker: ${exit.spawnError}` };
  const stderrText = stderr.trim();
  const killed = exit.timedOut || exit.idleTimedOut || exit.signal !== null;
  if (!killed && exit.exitCode !== 0 && exit.exitCode !== null && eventCount === 0 && stderrText) {
    return { outcome: 'failed', error: clip(lastLines(stderrText, 20)) };
  }
  const how = exit.idleTimedOut
    ? 'idle timeout'
    : exit.timedOut
      ? 'wall-clock timeout'
      : exit.signal
        ? `signal ${exit.signal}`
        : `exit code ${exit.exitCode}`;
  const detail = lastError ?? (stderrText ? lastLines(stderrText, 5) : null);
  return { outcome: 'incomplete', error: clip(`no terminal event (${how})${detail ? `: ${detail}` : ''}`) };
}

export function lastLines(text: string, n: number): string {
  const lines = text.split('\n');
  return lines.slice(Math.max(0, lines.length - n)).join('\n');
}

/** How the exit of a process that did print its terminal event bears on the outcome. */
export function exitProblem(exit: ProcessExit): string | null {
  if (exit.reapedAfterTerminal) return null;
  if (exit.spawnError) return `could not start the worker: ${exit.spawnError}`;
  if (exit.exitCode !== null && exit.exitCode !== 0) return `exit code ${exit.exitCode}`;
  return null;
}
