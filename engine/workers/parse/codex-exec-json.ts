/**
 * Parser for `codex exec --json` in its three dialects, told apart line by line:
 * - `codex-exec-json` (≥0.44): thread.started, turn.*, item.* {item: {type}}, error;
 * - `codex-exec-json-experimental` (0.41–0.43): session.created, items with `item_type`
 *   and `assistant_message`;
 * - `codex-legacy` (≤0.43): a config line, a `{"prompt": …}` line, then `{id, msg: {type}}`.
 * Pure: state lives in the parser object, events are returned, nothing is accumulated but
 * the answer candidate and counters.
 */
import type { NormalizedEvent, ParsedOutcome, ProcessExit, StreamParser, Usage } from '../types.js';
import {
  NON_JSON,
  UnknownCounter,
  clip,
  decideWithoutTerminal,
  exitProblem,
  isObject,
  num,
  parseJsonObject,
  str,
  usageEvent,
  type JsonObject,
} from './common.js';
import { translateLegacyCodex } from './codex-legacy.js';

export type CodexDialect = 'codex-exec-json' | 'codex-exec-json-experimental' | 'codex-legacy';

const ITEM_EVENTS = new Set(['item.started', 'item.updated', 'item.completed']);
const QUIET_TYPES = new Set(['turn.started']);

/**
 * `baseline`: the thread's cumulative usage before this call, for a resumed thread (codex
 * reports usage summed over the whole thread), so the call records only its own tokens.
 */
export function createCodexParser(baseline: Usage | null = null): StreamParser {
  const unknown = new UnknownCounter();
  const warnings: string[] = [];
  let dialect: CodexDialect | null = null;
  let sessionId: string | null = null;
  let answer: string | null = null;
  let pendingAnswer: { id: string; text: string } | null = null;
  let terminal: 'completed' | 'failed' | null = null;
  let failure: string | null = null;
  let lastError: string | null = null;
  let usageTotal: Usage | null = null;
  let usageSeen: Usage | null = baseline;
  let eventCount = 0;
  let legacyHeaderLines = 0;
  const openItems = new Map<string, string>();
  // A tool item reported at its start is not reported again at its end.
  const startedIds = new Set<string>();

  let hinted = false;
  /** The first real event decides; legacy header lines only hint; later dialects refine exec-json. */
  const setDialect = (d: CodexDialect, hint = false): void => {
    if (hint) {
      if (dialect === null) {
        dialect = d;
        hinted = true;
      }
      return;
    }
    if (dialect === null || hinted || (dialect === 'codex-exec-json' && d === 'codex-exec-json-experimental')) {
      dialect = d;
      hinted = false;
    }
  };

  /** Cumulative thread usage → the delta since the last report (also the call's total). */
  const takeUsage = (raw: unknown): NormalizedEvent[] => {
    if (!isObject(raw)) return [];
    const cumulative: Usage = {
      input_tokens: num(raw.input_tokens),
      output_tokens: num(raw.output_tokens),
      cached_input_tokens: num(raw.cached_input_tokens),
    };
    const prev = usageSeen ?? { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0 };
    const delta: Usage = {
      input_tokens: Math.max(0, cumulative.input_tokens - prev.input_tokens),
      output_tokens: Math.max(0, cumulative.output_tokens - prev.output_tokens),
      cached_input_tokens: Math.max(0, cumulative.cached_input_tokens - prev.cached_input_tokens),
    };
    usageSeen = cumulative;
    const base = baseline ?? { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0 };
    usageTotal = {
      input_tokens: Math.max(0, cumulative.input_tokens - base.input_tokens),
      output_tokens: Math.max(0, cumulative.output_tokens - base.output_tokens),
      cached_input_tokens: Math.max(0, cumulative.cached_input_tokens - base.cached_input_tokens),
    };
    return [usageEvent(delta)];
  };

  const handleItem = (phase: string, item: JsonObject): NormalizedEvent[] => {
    const rawType = str(item.type) ?? str(item.item_type);
    if (item.item_type !== undefined) setDialect('codex-exec-json-experimental');
    const id = str(item.id) ?? '';
    const type = rawType === 'assistant_message' ? 'agent_message' : rawType;
    if (phase === 'item.started') openItems.set(id, type ?? '?');
    if (phase === 'item.completed') openItems.delete(id);
    const done = phase === 'item.completed';
    switch (type) {
      case 'agent_message': {
        const text = str(item.text) ?? '';
        if (done) {
          answer = text;
          pendingAnswer = null;
          return [{ kind: 'message', role: 'assistant', text, id }];
        }
        pendingAnswer = { id, text };
        return [];
      }
      case 'reasoning':
        return done ? [{ kind: 'reasoning', text: str(item.text) ?? '', id }] : [];
      case 'command_execution':
        if (!done) return phase === 'item.started' ? [{ kind: 'tool_call', name: 'shell', input: { command: item.command }, id }] : [];
        return [
          {
            kind: 'command',
            command: str(item.command) ?? JSON.stringify(item.command ?? ''),
            exit_code: typeof item.exit_code === 'number' ? item.exit_code : null,
            output: clip(str(item.aggregated_output) ?? '', 20000),
            status: str(item.status) ?? undefined,
          },
        ];
      case 'file_change': {
        if (!done) return [];
        const changes = Array.isArray(item.changes)
          ? item.changes.filter(isObject).map((c) => ({ path: str(c.path) ?? '', kind: str(c.kind) ?? str(c.action) ?? 'update' }))
          : [];
        return [{ kind: 'file_change', changes }];
      }
      case 'mcp_tool_call':
      case 'web_search':
      case 'todo_list': {
        if (phase === 'item.started') return [{ kind: 'tool_call', name: toolName(type, item), input: item.arguments ?? item.query ?? item.items ?? null, id }];
        if (!done) return [];
        const out: NormalizedEvent[] = [];
        if (!startedIds.has(id)) out.push({ kind: 'tool_call', name: toolName(type, item), input: item.arguments ?? item.query ?? item.items ?? null, id });
        if (type === 'mcp_tool_call') out.push({ kind: 'tool_result', id, output: clip(JSON.stringify(item.result ?? item.error ?? null), 20000), is_error: item.error != null });
        return out;
      }
      case 'error': {
        const message = str(item.message) ?? 'error item';
        warnings.push(message);
        return done || phase === 'item.started' ? [{ kind: 'warning', message }] : [];
      }
      default:
        // Counted once per item, when it completes (an unfinished one is warned about at the end).
        return done ? [unknown.note(`item.${type ?? 'untyped'}`, item)] : [];
    }
  };

  const handle = (obj: JsonObject): NormalizedEvent[] => {
    if ('msg' in obj && isObject(obj.msg)) {
      setDialect('codex-legacy');
      const r = translateLegacyCodex(obj.msg, unknown);
      if (r.answer !== undefined) answer = r.answer;
      if (r.terminal) {
        terminal = r.terminal;
        if (r.terminal === 'failed') failure = r.error ?? 'task failed';
      }
      if (r.error && !r.terminal) lastError = r.error;
      if (r.warning) warnings.push(r.warning);
      if (r.usage) return [...r.events, ...takeUsage(r.usage)];
      return r.events;
    }
    const type = str(obj.type);
    if (type === null) {
      // Legacy header: the config line, then {"prompt": …}. Known, not events.
      if (legacyHeaderLines < 2 && (('prompt' in obj && Object.keys(obj).length === 1) || dialect === null)) {
        legacyHeaderLines += 1;
        setDialect('codex-legacy', true);
        return [];
      }
      return [unknown.note('untyped', obj)];
    }
    if (type === 'thread.started') {
      setDialect('codex-exec-json');
      sessionId = str(obj.thread_id) ?? sessionId;
      return [];
    }
    if (type === 'session.created') {
      setDialect('codex-exec-json-experimental');
      sessionId = str(obj.session_id) ?? sessionId;
      return [];
    }
    if (QUIET_TYPES.has(type)) return [];
    if (type === 'turn.completed') {
      terminal = 'completed';
      return takeUsage(obj.usage);
    }
    if (type === 'turn.failed') {
      terminal = 'failed';
      const message = (isObject(obj.error) ? str(obj.error.message) : str(obj.error)) ?? 'turn failed';
      failure = message;
      return [{ kind: 'error', message, fatal: true }, ...takeUsage(obj.usage)];
    }
    if (type === 'error') {
      // Often not fatal ("Reconnecting... 2/5"): a warning unless the turn then fails.
      const message = str(obj.message) ?? (isObject(obj.error) ? str(obj.error.message) : null) ?? 'error';
      lastError = message;
      warnings.push(message);
      return [{ kind: 'warning', message }];
    }
    if (ITEM_EVENTS.has(type) && isObject(obj.item)) {
      const id = str(obj.item.id) ?? '';
      const events = handleItem(type, obj.item);
      if (type === 'item.started') startedIds.add(id);
      return events;
    }
    return [unknown.note(type, obj)];
  };

  return {
    line(text) {
      if (text.trim() === '') return [];
      const obj = parseJsonObject(text);
      if (!obj) return [unknown.note(NON_JSON, clip(text, 500))];
      eventCount += 1;
      return handle(obj);
    },
    sawTerminal: () => terminal !== null,
    end(exit: ProcessExit, stderr: string): ParsedOutcome {
      for (const [id, type] of openItems) warnings.push(`item ${id || '?'} (${type}) started and never completed`);
      let finalText = answer;
      if (finalText === null && pendingAnswer) {
        finalText = (pendingAnswer as { text: string }).text;
        warnings.push('the last agent message was never completed; its latest text is taken');
      }
      let outcome: ParsedOutcome['outcome'];
      let error: string | null = null;
      if (terminal === 'failed') {
        outcome = 'failed';
        error = failure;
      } else if (terminal === 'completed') {
        const problem = exitProblem(exit);
        outcome = problem ? 'failed' : 'ok';
        error = problem ? `${problem} after turn.completed${lastError ? `: ${lastError}` : ''}` : null;
      } else if (dialect === 'codex-exec-json-experimental' && exit.exitCode === 0 && !exit.timedOut && !exit.idleTimedOut && finalText !== null) {
        // That dialect may end without turn events; a clean exit after an answer is its end.
        outcome = 'ok';
        warnings.push('no turn.completed in this dialect: outcome taken from exit code 0');
      } else {
        ({ outcome, error } = decideWithoutTerminal(exit, stderr, eventCount, lastError));
      }
      return {
        outcome,
        finalText: finalText ?? '',
        sessionId,
        dialect: dialect ?? 'codex-exec-json',
        usage: usageTotal,
        costUsd: null,
        unknownEventTypes: { ...unknown.counts },
        error,
        warnings,
      };
    },
  };
}

function toolName(type: string, item: JsonObject): string {
  if (type === 'mcp_tool_call') return `mcp:${str(item.server) ?? '?'}/${str(item.tool) ?? '?'}`;
  return type;
}
