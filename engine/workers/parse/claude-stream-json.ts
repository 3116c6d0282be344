/**
 * Parser for `claude -p --output-format stream-json --verbose` (dialect `claude-stream-json`)
 * and, through `createClaudeJsonParser`, `--output-format json` (one result object, or with
 * --verbose an array of every message: dialect `claude-json`). The `result` line decides
 * the outcome (its exit code is unreliable: API errors come back as `subtype: success,
 * is_error: true` with exit 0). Pure.
 */
import type { NormalizedEvent, ParsedOutcome, ProcessExit, StreamParser, Usage } from '../types.js';
import { NON_JSON, UnknownCounter, clip, decideWithoutTerminal, isObject, readJsonLine, str, usageEvent, type JsonObject } from './common.js';
import { addSaneUsage, tokenCount } from '../sane-numbers.js';
import { pushAll } from '../../util/many.js';
import { parseJson } from '../../util/parse-json.js';

interface ClaudeState {
  unknown: UnknownCounter;
  warnings: string[];
  sessionId: string | null;
  result: JsonObject | null;
  /** Top-level assistant text by message id, in order: the fallback answer when `result` has none. */
  lastTopMessage: { id: string; text: string } | null;
  /** Usage per message id: repeated on every line of one message, so the last copy counts once. */
  usageById: Map<string, Usage>;
  eventCount: number;
  lastError: string | null;
}

function newState(): ClaudeState {
  return {
    unknown: new UnknownCounter(),
    warnings: [],
    sessionId: null,
    result: null,
    lastTopMessage: null,
    usageById: new Map(),
    eventCount: 0,
    lastError: null,
  };
}

export function createClaudeStreamParser(): StreamParser {
  const st = newState();
  return {
    line: (text) => readJsonLine(st, text, (obj) => handleClaudeMessage(st, obj)),
    sawTerminal: () => st.result !== null,
    end: (exit, stderr) => finishClaude(st, exit, stderr, 'claude-stream-json'),
  };
}

/** `--output-format json`: the whole stdout is one JSON value, read at the end. */
export function createClaudeJsonParser(): StreamParser {
  const st = newState();
  const lines: string[] = [];
  return {
    line(text) {
      lines.push(text);
      return [];
    },
    end(exit, stderr) {
      const body = lines.join('\n').trim();
      const events: NormalizedEvent[] = [];
      if (body) {
        let value: unknown;
        try {
          value = parseJson(body);
        } catch {
          events.push(st.unknown.note(NON_JSON, clip(body, 500)));
        }
        const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
        for (const item of items) {
          if (!isObject(item)) continue;
          st.eventCount += 1;
          pushAll(events, handleClaudeMessage(st, item));
        }
      }
      const outcome = finishClaude(st, exit, stderr, 'claude-json');
      return { ...outcome, events };
    },
  };
}

function handleClaudeMessage(st: ClaudeState, obj: JsonObject): NormalizedEvent[] {
  const type = str(obj.type) ?? 'untyped';
  if (str(obj.session_id)) st.sessionId = str(obj.session_id);
  const parent = str(obj.parent_tool_use_id) ?? undefined;
  switch (type) {
    case 'system': {
      const subtype = str(obj.subtype) ?? '';
      if (subtype === 'init') return [];
      if (subtype === 'api_retry') {
        const message = `API retry${obj.attempt !== undefined ? ` ${String(obj.attempt)}` : ''}${obj.error ? `: ${JSON.stringify(obj.error)}` : ''}`;
        st.warnings.push(message);
        return [{ kind: 'warning', message }];
      }
      return [st.unknown.note(`system.${subtype || 'untyped'}`, obj)];
    }
    case 'assistant':
      return handleAssistant(st, obj, parent);
    case 'user':
      return handleUser(obj, parent);
    case 'result':
      st.result = obj;
      return resultEvents(st, obj);
    case 'rate_limit_event': {
      const info = isObject(obj.rate_limit_info) ? obj.rate_limit_info : {};
      const status = str(info.status);
      if (status && status !== 'allowed') {
        const message = `rate limit: ${status}`;
        st.warnings.push(message);
        return [{ kind: 'warning', message }];
      }
      return [];
    }
    case 'stream_event':
      // Partial deltas (--include-partial-messages): the whole message follows anyway.
      return [];
    default:
      return [st.unknown.note(type, obj)];
  }
}

function handleAssistant(st: ClaudeState, obj: JsonObject, parent: string | undefined): NormalizedEvent[] {
  const message = isObject(obj.message) ? obj.message : {};
  const id = str(message.id) ?? '';
  const events: NormalizedEvent[] = [];
  const content = Array.isArray(message.content) ? message.content : [];
  for (const block of content) {
    if (!isObject(block)) continue;
    const btype = str(block.type);
    if (btype === 'text') {
      const text = str(block.text) ?? '';
      events.push({ kind: 'message', role: 'assistant', text, id, ...(parent ? { parent } : {}) });
      if (!parent) {
        // One message may arrive over several lines with the same id: merge its text.
        if (st.lastTopMessage && st.lastTopMessage.id === id && id) st.lastTopMessage.text += text;
        else st.lastTopMessage = { id, text };
      }
    } else if (btype === 'thinking' || btype === 'redacted_thinking') {
      events.push({ kind: 'reasoning', text: str(block.thinking) ?? '', id });
    } else if (btype === 'tool_use') {
      events.push({ kind: 'tool_call', name: str(block.name) ?? '?', input: block.input ?? null, id: str(block.id) ?? undefined, ...(parent ? { parent } : {}) });
    } else {
      events.push(st.unknown.note(`assistant.${btype ?? 'untyped'}`, block));
    }
  }
  if (isObject(message.usage) && id) {
    const u = message.usage;
    const usage: Usage = {
      input_tokens: tokenCount(u.input_tokens) + tokenCount(u.cache_creation_input_tokens),
      output_tokens: tokenCount(u.output_tokens),
      cached_input_tokens: tokenCount(u.cache_read_input_tokens),
    };
    const before = st.usageById.get(id);
    st.usageById.set(id, usage);
    // Repeated on each line of the message: report only what grew.
    if (!before) events.push(usageEvent(usage));
    else if (usage.output_tokens > before.output_tokens || usage.input_tokens > before.input_tokens) {
      events.push(usageEvent({
        input_tokens: Math.max(0, usage.input_tokens - before.input_tokens),
        output_tokens: Math.max(0, usage.output_tokens - before.output_tokens),
        cached_input_tokens: Math.max(0, usage.cached_input_tokens - before.cached_input_tokens),
      }));
    }
  }
  return events;
}

function handleUser(obj: JsonObject, parent: string | undefined): NormalizedEvent[] {
  const message = isObject(obj.message) ? obj.message : {};
  const content = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : Array.isArray(message.content) ? message.content : [];
  const events: NormalizedEvent[] = [];
  for (const block of content) {
    if (!isObject(block)) continue;
    if (block.type === 'tool_result') {
      events.push({ kind: 'tool_result', id: str(block.tool_use_id) ?? undefined, output: clip(flattenContent(block.content), 20000), is_error: block.is_error === true });
    } else if (block.type === 'text') {
      events.push({ kind: 'message', role: 'user', text: str(block.text) ?? '', ...(parent ? { parent } : {}) });
    }
  }
  return events;
}

function resultEvents(st: ClaudeState, obj: JsonObject): NormalizedEvent[] {
  const events: NormalizedEvent[] = [];
  const denials = Array.isArray(obj.permission_denials) ? obj.permission_denials : [];
  for (const d of denials) {
    const name = isObject(d) ? (str(d.tool_name) ?? '?') : '?';
    const input = isObject(d) && isObject(d.tool_input) ? (str(d.tool_input.file_path) ?? str(d.tool_input.command) ?? '') : '';
    const message = `permission denied: ${name}${input ? ` ${input}` : ''}`;
    st.warnings.push(message);
    events.push({ kind: 'warning', message });
  }
  if (isFailure(obj)) events.push({ kind: 'error', message: resultError(obj), fatal: true });
  return events;
}

function isFailure(result: JsonObject): boolean {
  return result.is_error === true || (str(result.subtype) ?? 'success') !== 'success';
}

function resultError(result: JsonObject): string {
  const text = str(result.result);
  if (text) return clip(text);
  if (Array.isArray(result.errors) && result.errors.length) return clip(result.errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('; '));
  return `claude result ${str(result.subtype) ?? 'error'}${result.is_error === true ? ' (is_error)' : ''}`;
}

function finishClaude(st: ClaudeState, exit: ProcessExit, stderr: string, dialect: string): ParsedOutcome {
  const r = st.result;
  let usage: Usage | null = null;
  for (const u of st.usageById.values()) usage = addSaneUsage(usage, u);
  if (r && isObject(r.usage)) {
    usage = {
      input_tokens: tokenCount(r.usage.input_tokens) + tokenCount(r.usage.cache_creation_input_tokens),
      output_tokens: tokenCount(r.usage.output_tokens),
      cached_input_tokens: tokenCount(r.usage.cache_read_input_tokens),
    };
  }
  const base = {
    sessionId: st.sessionId,
    dialect,
    usage,
    costUsd: r && typeof r.total_cost_usd === 'number' ? r.total_cost_usd : null,
    unknownEventTypes: { ...st.unknown.counts },
    warnings: st.warnings,
  };
  if (r) {
    const failed = isFailure(r);
    const resultText = str(r.result);
    const finalText = resultText ?? (failed ? '' : (st.lastTopMessage?.text ?? ''));
    if (!failed && resultText === null && st.lastTopMessage) st.warnings.push('result has no text; the last top-level assistant message is taken');
    return {
      ...base,
      outcome: failed ? 'failed' : 'ok',
      finalText,
      error: failed ? resultError(r) : null,
      ...(r.structured_output !== undefined && r.structured_output !== null ? { structuredOutput: r.structured_output } : {}),
    };
  }
  const { outcome, error } = decideWithoutTerminal(exit, stderr, st.eventCount, st.lastError);
  return { ...base, outcome, finalText: '', error };
}

function flattenContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((c) => (isObject(c) && typeof c.text === 'string' ? c.text : JSON.stringify(c))).join('\n');
  return content === undefined ? '' : JSON.stringify(content);
}
