/**
 * Parsers for the `command` worker's stdout (`output: text|json|jsonl`). The outcome is ok
 * iff the process exited 0; the stream has no terminal event of its own. Pure.
 *
 * - text: the whole stdout is the answer.
 * - json: stdout is one JSON value: a string is the answer; an object with a string `text` or
 *   `result` is that answer (`session_id` is kept); any other object or array is native
 *   structured output (the markers themselves).
 * - jsonl: one normalized event per line (`{kind: "message", text}`, `{kind: "usage", …}`, …,
 *   the events.jsonl format); the answer is the last top-level assistant message.
 */
import type { NormalizedEvent, ParsedOutcome, ProcessExit, StreamParser, Usage } from '../types.js';
import { NON_JSON, UnknownCounter, clip, isObject, parseJsonObject, str } from './common.js';
import { addSaneUsage, tokenCount } from '../sane-numbers.js';
import { parseJson } from '../../util/parse-json.js';
import { trimEndOf } from '../../util/trim-end.js';

export type CommandOutput = 'text' | 'json' | 'jsonl';
const KNOWN_KINDS = new Set(['message', 'reasoning', 'tool_call', 'tool_result', 'command', 'file_change', 'usage', 'warning', 'error']);

/**
 * How much of stdout a text or json answer may be (64 MiB): past it the lines are no longer
 * kept and the call fails. A worker's endless output filled the engine's heap until V8 ended
 * the process (the transcript on disk has its own cap, transcripts.raw_cap_bytes).
 */
export const ANSWER_CAP_BYTES = 64 * 1024 * 1024;

export function createCommandParser(output: CommandOutput, o: { answerCapBytes?: number } = {}): StreamParser {
  const cap = o.answerCapBytes ?? ANSWER_CAP_BYTES;
  const unknown = new UnknownCounter();
  const lines: string[] = [];
  let kept = 0;
  let overflow = false;
  let answer: string | null = null;
  let usage: Usage | null = null;
  let sessionId: string | null = null;
  let fatal: string | null = null;
  const warnings: string[] = [];

  const finish = (exit: ProcessExit, stderr: string, text: string, extra: Partial<ParsedOutcome>): ParsedOutcome => {
    const ok = exit.exitCode === 0 && !exit.spawnError && !exit.timedOut && !exit.idleTimedOut;
    const why = exit.spawnError
      ? `could not start the worker: ${exit.spawnError}`
      : exit.timedOut || exit.idleTimedOut
        ? 'timed out'
        : `exit code ${exit.exitCode ?? `null (signal ${exit.signal})`}`;
    const stderrTail = stderr.trim() ? `: ${clip(stderr.trim().split('\n').slice(-10).join('\n'))}` : '';
    return {
      outcome: ok && !fatal ? 'ok' : exit.timedOut || exit.idleTimedOut ? 'incomplete' : 'failed',
      finalText: text,
      sessionId,
      dialect: `command-${output}`,
      usage,
      costUsd: null,
      unknownEventTypes: { ...unknown.counts },
      error: ok ? fatal : `${why}${stderrTail}`,
      warnings,
      ...extra,
    };
  };

  if (output === 'jsonl') {
    return {
      line(text) {
        if (text.trim() === '') return [];
        const obj = parseJsonObject(text);
        if (!obj) return [unknown.note(NON_JSON, clip(text, 500))];
        const kind = str(obj.kind);
        if (!kind || !KNOWN_KINDS.has(kind)) return [unknown.note(kind ?? 'untyped', obj)];
        if (kind === 'message' && typeof obj.text === 'string' && obj.role !== 'user' && !obj.parent) answer = obj.text;
        if (kind === 'usage') usage = addSaneUsage(usage, { input_tokens: tokenCount(obj.input_tokens), output_tokens: tokenCount(obj.output_tokens), cached_input_tokens: tokenCount(obj.cached_input_tokens) });
        if (kind === 'warning' && typeof obj.message === 'string') warnings.push(obj.message);
        if (kind === 'error' && obj.fatal === true) fatal = str(obj.message) ?? 'error';
        if (typeof obj.session_id === 'string') sessionId = obj.session_id;
        return [obj as unknown as NormalizedEvent];
      },
      end: (exit, stderr) => finish(exit, stderr, answer ?? '', {}),
    };
  }

  return {
    line(text) {
      if (overflow) return [];
      kept += text.length + 1;
      if (kept > cap) {
        overflow = true;
        lines.length = 0;
        return [];
      }
      lines.push(text);
      return [];
    },
    end(exit, stderr) {
      if (overflow) {
        fatal = `the worker's stdout passed ${cap} bytes: no answer is read from it (${output} output is kept whole to be parsed)`;
        return finish(exit, stderr, '', {});
      }
      const body = lines.join('\n');
      const whole = readWhole(output, body, unknown);
      if (whole.sessionId !== undefined) sessionId = whole.sessionId;
      return finish(exit, stderr, whole.text, whole.extra);
    },
  };
}

/**
 * The answer of a text or json stdout, read whole: text is the answer; json is a string (the
 * answer), an object with a string `text` or `result` (its `session_id` kept), or the markers
 * themselves (native structured output). Pure apart from counting the unknown.
 */
function readWhole(output: 'text' | 'json', body: string, unknown: UnknownCounter): { text: string; extra: Partial<ParsedOutcome>; sessionId?: string | null } {
  if (output === 'text') return { text: trimEndOf(body, '\n'), extra: { events: body.trim() ? [{ kind: 'message', role: 'assistant', text: body }] : [] } };
  let value: unknown;
  try {
    value = parseJson(body);
  } catch {
    return { text: body, extra: { events: body.trim() ? [unknown.note(NON_JSON, clip(body, 500))] : [] } };
  }
  if (typeof value === 'string') return { text: value, extra: { events: [{ kind: 'message', role: 'assistant', text: value }] } };
  let sessionId: string | null | undefined;
  if (isObject(value)) {
    sessionId = str(value.session_id);
    const text = str(value.text) ?? str(value.result);
    if (text !== null) return { text, sessionId, extra: { events: [{ kind: 'message', role: 'assistant', text }] } };
  }
  const text = JSON.stringify(value, null, 2);
  return { text, ...(sessionId !== undefined ? { sessionId } : {}), extra: { structuredOutput: value, events: [{ kind: 'message', role: 'assistant', text }] } };
}
