/**
 * Parser for `codex exec --json` in its three dialects, told apart line by line:
 * - `codex-exec-json` (≥0.44): thread.started, turn.*, item.* {item: {type}}, error;
 * - `codex-exec-json-experimental` (0.41–0.43): session.created, items with `item_type`
 *   and `assistant_message`;
 * - `codex-legacy` (≤0.43): a config line, a `{"prompt": …}` line, then `{id, msg: {type}}`.
 * Pure: state lives in one record per parser, each event kind has its own function that
 * updates the record and returns events; nothing is accumulated but the answer candidate
 * and counters.
 */
import type { NormalizedEvent, ParsedOutcome, ProcessExit, StreamParser, Usage } from '../types.js';
import { UnknownCounter, clip, decideWithoutTerminal, exitProblem, isObject, readJsonLine, str, usageEvent, type JsonObject } from './common.js';
import { tokenCount } from '../sane-numbers.js';
import { translateLegacyCodex } from './codex-legacy.js';

export type CodexDialect = 'codex-exec-json' | 'codex-exec-json-experimental' | 'codex-legacy';

const ZERO_USAGE: Usage = { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0 };

interface CodexState {
  unknown: UnknownCounter;
  warnings: string[];
  dialect: CodexDialect | null;
  /** The dialect was only hinted by a legacy header line: the first real event decides. */
  hinted: boolean;
  sessionId: string | null;
  /** The last completed agent message: the answer. */
  answer: string | null;
  /** An agent message started or updated but not (yet) completed: the fallback answer. */
  pendingAnswer: { id: string; text: string } | null;
  terminal: 'completed' | 'failed' | null;
  failure: string | null;
  lastError: string | null;
  /** The thread's cumulative usage before this call (a resumed thread), or null. */
  baseline: Usage | null;
  /** This call's own usage so far. */
  usageTotal: Usage | null;
  /** The thread's cumulative usage at its last report. */
  usageSeen: Usage | null;
  eventCount: number;
  legacyHeaderLines: number;
  /** Items started and not completed: id → type, warned about at the end. */
  openItems: Map<string, string>;
  /** A tool item reported at its start is not reported again at its end. */
  startedIds: Set<string>;
}

function newState(baseline: Usage | null): CodexState {
  return {
    unknown: new UnknownCounter(),
    warnings: [],
    dialect: null,
    hinted: false,
    sessionId: null,
    answer: null,
    pendingAnswer: null,
    terminal: null,
    failure: null,
    lastError: null,
    baseline,
    usageTotal: null,
    usageSeen: baseline,
    eventCount: 0,
    legacyHeaderLines: 0,
    openItems: new Map(),
    startedIds: new Set(),
  };
}

/**
 * `baseline`: the thread's cumulative usage before this call, for a resumed thread (codex
 * reports usage summed over the whole thread), so the call records only its own tokens.
 */
export function createCodexParser(baseline: Usage | null = null): StreamParser {
  const st = newState(baseline);
  return {
    line: (text) => readJsonLine(st, text, (obj) => handleCodexLine(st, obj)),
    sawTerminal: () => st.terminal !== null,
    end: (exit, stderr) => finishCodex(st, exit, stderr),
  };
}

function handleCodexLine(st: CodexState, obj: JsonObject): NormalizedEvent[] {
  if ('msg' in obj && isObject(obj.msg)) return handleLegacy(st, obj.msg);
  const type = str(obj.type);
  if (type === null) return handleUntyped(st, obj);
  switch (type) {
    case 'thread.started':
      setDialect(st, 'codex-exec-json');
      st.sessionId = str(obj.thread_id) ?? st.sessionId;
      return [];
    case 'session.created':
      setDialect(st, 'codex-exec-json-experimental');
      st.sessionId = str(obj.session_id) ?? st.sessionId;
      return [];
    case 'turn.started':
      return [];
    case 'turn.completed':
      st.terminal = 'completed';
      return takeUsage(st, obj.usage);
    case 'turn.failed':
      return handleTurnFailed(st, obj);
    case 'error':
      return handleStreamError(st, obj);
    case 'item.started':
    case 'item.updated':
    case 'item.completed':
      if (isObject(obj.item)) return handleItemEvent(st, type, obj.item);
      return [st.unknown.note(type, obj)];
    default:
      return [st.unknown.note(type, obj)];
  }
}

/** The first real event decides; legacy header lines only hint; later dialects refine exec-json. */
function setDialect(st: CodexState, d: CodexDialect, hint = false): void {
  if (hint) {
    if (st.dialect === null) {
      st.dialect = d;
      st.hinted = true;
    }
    return;
  }
  if (st.dialect === null || st.hinted || (st.dialect === 'codex-exec-json' && d === 'codex-exec-json-experimental')) {
    st.dialect = d;
    st.hinted = false;
  }
}

/** Cumulative thread usage → the delta since the last report (also the call's total). */
function takeUsage(st: CodexState, raw: unknown): NormalizedEvent[] {
  if (!isObject(raw)) return [];
  const cumulative: Usage = {
    input_tokens: tokenCount(raw.input_tokens),
    output_tokens: tokenCount(raw.output_tokens),
    cached_input_tokens: tokenCount(raw.cached_input_tokens),
  };
  const delta = usageSince(cumulative, st.usageSeen ?? ZERO_USAGE);
  st.usageSeen = cumulative;
  st.usageTotal = usageSince(cumulative, st.baseline ?? ZERO_USAGE);
  return [usageEvent(delta)];
}

function usageSince(now: Usage, before: Usage): Usage {
  return {
    input_tokens: Math.max(0, now.input_tokens - before.input_tokens),
    output_tokens: Math.max(0, now.output_tokens - before.output_tokens),
    cached_input_tokens: Math.max(0, now.cached_input_tokens - before.cached_input_tokens),
  };
}

/** A legacy `{id, msg}` line (≤0.43). */
function handleLegacy(st: CodexState, msg: JsonObject): NormalizedEvent[] {
  setDialect(st, 'codex-legacy');
  const r = translateLegacyCodex(msg, st.unknown);
  if (r.answer !== undefined) st.answer = r.answer;
  if (r.terminal) {
    st.terminal = r.terminal;
    if (r.terminal === 'failed') st.failure = r.error ?? 'task failed';
  }
  if (r.error && !r.terminal) st.lastError = r.error;
  if (r.warning) st.warnings.push(r.warning);
  if (r.usage) return [...r.events, ...takeUsage(st, r.usage)];
  return r.events;
}

/** A line without `type`: legacy header lines (the config line, then {"prompt": …}) are known, not events. */
function handleUntyped(st: CodexState, obj: JsonObject): NormalizedEvent[] {
  if (st.legacyHeaderLines < 2 && (('prompt' in obj && Object.keys(obj).length === 1) || st.dialect === null)) {
    st.legacyHeaderLines += 1;
    setDialect(st, 'codex-legacy', true);
    return [];
  }
  return [st.unknown.note('untyped', obj)];
}

function handleTurnFailed(st: CodexState, obj: JsonObject): NormalizedEvent[] {
  st.terminal = 'failed';
  const message = (isObject(obj.error) ? str(obj.error.message) : str(obj.error)) ?? 'turn failed';
  st.failure = message;
  return [{ kind: 'error', message, fatal: true }, ...takeUsage(st, obj.usage)];
}

/** Often not fatal ("Reconnecting... 2/5"): a warning unless the turn then fails. */
function handleStreamError(st: CodexState, obj: JsonObject): NormalizedEvent[] {
  const message = str(obj.message) ?? (isObject(obj.error) ? str(obj.error.message) : null) ?? 'error';
  st.lastError = message;
  st.warnings.push(message);
  return [{ kind: 'warning', message }];
}

function handleItemEvent(st: CodexState, phase: string, item: JsonObject): NormalizedEvent[] {
  const events = handleItem(st, phase, item);
  if (phase === 'item.started') st.startedIds.add(str(item.id) ?? '');
  return events;
}

function handleItem(st: CodexState, phase: string, item: JsonObject): NormalizedEvent[] {
  const rawType = str(item.type) ?? str(item.item_type);
  if (item.item_type !== undefined) setDialect(st, 'codex-exec-json-experimental');
  const id = str(item.id) ?? '';
  const type = rawType === 'assistant_message' ? 'agent_message' : rawType;
  if (phase === 'item.started') st.openItems.set(id, type ?? '?');
  if (phase === 'item.completed') st.openItems.delete(id);
  const done = phase === 'item.completed';
  switch (type) {
    case 'agent_message':
      return agentMessageItem(st, item, id, done);
    case 'reasoning':
      return done ? [{ kind: 'reasoning', text: str(item.text) ?? '', id }] : [];
    case 'command_execution':
      return commandItem(item, id, phase);
    case 'file_change':
      return done ? [fileChangeEvent(item)] : [];
    case 'mcp_tool_call':
    case 'web_search':
    case 'todo_list':
      return toolItem(st, type, item, id, phase);
    case 'error': {
      const message = str(item.message) ?? 'error item';
      st.warnings.push(message);
      return done || phase === 'item.started' ? [{ kind: 'warning', message }] : [];
    }
    default:
      // Counted once per item, when it completes (an unfinished one is warned about at the end).
      return done ? [st.unknown.note(`item.${type ?? 'untyped'}`, item)] : [];
  }
}

function agentMessageItem(st: CodexState, item: JsonObject, id: string, done: boolean): NormalizedEvent[] {
  const text = str(item.text) ?? '';
  if (done) {
    st.answer = text;
    st.pendingAnswer = null;
    return [{ kind: 'message', role: 'assistant', text, id }];
  }
  st.pendingAnswer = { id, text };
  return [];
}

/** A shell command: a tool call when it starts, the command with its output when it completes. */
function commandItem(item: JsonObject, id: string, phase: string): NormalizedEvent[] {
  if (phase === 'item.started') return [{ kind: 'tool_call', name: 'shell', input: { command: item.command }, id }];
  if (phase !== 'item.completed') return [];
  return [
    {
      kind: 'command',
      command: str(item.command) ?? JSON.stringify(item.command ?? ''),
      exit_code: typeof item.exit_code === 'number' ? item.exit_code : null,
      output: clip(str(item.aggregated_output) ?? '', 20000),
      status: str(item.status) ?? undefined,
    },
  ];
}

function fileChangeEvent(item: JsonObject): NormalizedEvent {
  const changes = Array.isArray(item.changes)
    ? item.changes.filter(isObject).map((c) => ({ path: str(c.path) ?? '', kind: str(c.kind) ?? str(c.action) ?? 'update' }))
    : [];
  return { kind: 'file_change', changes };
}

/** MCP calls, web searches and todo lists: a tool call once (at start, else at completion); an MCP result. */
function toolItem(st: CodexState, type: string, item: JsonObject, id: string, phase: string): NormalizedEvent[] {
  const call: NormalizedEvent = { kind: 'tool_call', name: toolName(type, item), input: item.arguments ?? item.query ?? item.items ?? null, id };
  if (phase === 'item.started') return [call];
  if (phase !== 'item.completed') return [];
  const out: NormalizedEvent[] = [];
  if (!st.startedIds.has(id)) out.push(call);
  if (type === 'mcp_tool_call') out.push({ kind: 'tool_result', id, output: clip(JSON.stringify(item.result ?? item.error ?? null), 20000), is_error: item.error != null });
  return out;
}

function toolName(type: string, item: JsonObject): string {
  if (type === 'mcp_tool_call') return `mcp:${str(item.server) ?? '?'}/${str(item.tool) ?? '?'}`;
  return type;
}

function finishCodex(st: CodexState, exit: ProcessExit, stderr: string): ParsedOutcome {
  for (const [id, type] of st.openItems) st.warnings.push(`item ${id || '?'} (${type}) started and never completed`);
  let finalText = st.answer;
  if (finalText === null && st.pendingAnswer) {
    finalText = st.pendingAnswer.text;
    st.warnings.push('the last agent message was never completed; its latest text is taken');
  }
  const { outcome, error } = decideCodexOutcome(st, exit, stderr, finalText);
  return {
    outcome,
    finalText: finalText ?? '',
    sessionId: st.sessionId,
    dialect: st.dialect ?? 'codex-exec-json',
    usage: st.usageTotal,
    costUsd: null,
    unknownEventTypes: { ...st.unknown.counts },
    error,
    warnings: st.warnings,
  };
}

function decideCodexOutcome(st: CodexState, exit: ProcessExit, stderr: string, finalText: string | null): Pick<ParsedOutcome, 'outcome' | 'error'> {
  if (st.terminal === 'failed') return { outcome: 'failed', error: st.failure };
  if (st.terminal === 'completed') {
    const problem = exitProblem(exit);
    return {
      outcome: problem ? 'failed' : 'ok',
      error: problem ? `${problem} after turn.completed${st.lastError ? `: ${st.lastError}` : ''}` : null,
    };
  }
  if (st.dialect === 'codex-exec-json-experimental' && exit.exitCode === 0 && !exit.timedOut && !exit.idleTimedOut && finalText !== null) {
    // That dialect may end without turn events; a clean exit after an answer is its end.
    st.warnings.push('no turn.completed in this dialect: outcome taken from exit code 0');
    return { outcome: 'ok', error: null };
  }
  return decideWithoutTerminal(exit, stderr, st.eventCount, st.lastError);
}
