import { findEngineHeaders } from './find-engine-headers.js';
import type { EngineHeaders, ModelRequest } from './types.js';

/** Response items the model produced (as opposed to user input and tool outputs). */
const MODEL_ITEMS = new Set(['function_call', 'custom_tool_call', 'local_shell_call', 'reasoning', 'web_search_call']);

/**
 * What the router needs from a Responses API request body: the last engine header block in
 * a user message, the number of model turns since that message (a turn is a run of
 * consecutive model items: one reply may carry several function calls), the `<cwd>` codex
 * puts in its environment context. Pure.
 */
export function readOpenAiRequest(body: unknown): ModelRequest {
  const b = asRecord(body);
  const input = typeof b['input'] === 'string' ? [{ type: 'message', role: 'user', content: b['input'] }] : b['input'];
  const items = Array.isArray(input) ? (input as unknown[]).map(asRecord) : [];
  let headers: EngineHeaders | null = null;
  let at = -1;
  items.forEach((item, i) => {
    if (!isMessage(item) || item['role'] !== 'user') return;
    const h = findEngineHeaders(messageText(item));
    if (h) {
      headers = h;
      at = i;
    }
  });
  return {
    api: 'openai',
    headers,
    turnIndex: at < 0 ? 0 : countTurns(items.slice(at + 1)),
    cwd: findCodexCwd(items.filter(isMessage).map(messageText).join('\n')),
    stream: b['stream'] !== false,
    model: typeof b['model'] === 'string' ? b['model'] : 'engine-scripted',
    tools: Array.isArray(b['tools']) ? (b['tools'] as unknown[]).map((t) => String(asRecord(t)['name'] ?? asRecord(t)['type'] ?? '')) : [],
    structured: asRecord(asRecord(b['text'])['format'])['type'] === 'json_schema' ? 'openai-json-schema' : null,
  };
}

function countTurns(items: Record<string, unknown>[]): number {
  let turns = 0;
  let inTurn = false;
  for (const item of items) {
    const fromModel = MODEL_ITEMS.has(String(item['type'])) || (isMessage(item) && item['role'] === 'assistant');
    if (fromModel && !inTurn) turns += 1;
    inTurn = fromModel;
  }
  return turns;
}

function findCodexCwd(text: string): string | null {
  const m = /<cwd>([^<]+)<\/cwd>/.exec(text);
  return m ? m[1]!.trim() : null;
}

function isMessage(item: Record<string, unknown>): boolean {
  return item['type'] === 'message' || (item['type'] === undefined && typeof item['role'] === 'string');
}

function messageText(item: Record<string, unknown>): string {
  const content = item['content'];
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map(asRecord)
    .filter((c) => typeof c['text'] === 'string')
    .map((c) => c['text'] as string)
    .join('\n');
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
