import { findEngineHeaders } from './find-engine-headers.js';
import { CLAUDE_STRUCTURED_TOOL } from './structured-reply.js';
import type { EngineHeaders, ModelRequest } from './types.js';
import { LINE_BLANKS, trimEndOf } from '../util/trim-end.js';

/**
 * What the router needs from a Messages API request body: the last engine header block in
 * the user's text, the number of assistant turns since that prompt, the working directory
 * claude announces in its system prompt. Tool results are not prompt text. Pure.
 */
export function readAnthropicRequest(body: unknown): ModelRequest {
  const b = asRecord(body);
  const messages = Array.isArray(b['messages']) ? (b['messages'] as unknown[]).map(asRecord) : [];
  let headers: EngineHeaders | null = null;
  let at = -1;
  messages.forEach((m, i) => {
    if (m['role'] !== 'user') return;
    const h = findEngineHeaders(userText(m['content']));
    if (h) {
      headers = h;
      at = i;
    }
  });
  const tools = Array.isArray(b['tools']) ? (b['tools'] as unknown[]).map((t) => String(asRecord(t)['name'] ?? '')) : [];
  const turnIndex = at < 0 ? 0 : messages.slice(at + 1).filter((m) => m['role'] === 'assistant').length;
  return {
    api: 'anthropic',
    headers,
    turnIndex,
    cwd: findCwd(collectText(b['system']) + '\n' + messages.map((m) => collectText(m['content'])).join('\n')),
    stream: b['stream'] === true,
    model: typeof b['model'] === 'string' ? b['model'] : 'engine-scripted',
    tools,
    structured: tools.includes(CLAUDE_STRUCTURED_TOOL) ? 'claude-tool' : null,
    afterStructured: calledStructured(messages.filter((m) => m['role'] === 'assistant').at(-1)),
  };
}

/** True when an assistant message called claude's StructuredOutput tool. Pure. */
function calledStructured(message: Record<string, unknown> | undefined): boolean {
  const content = message?.['content'];
  return Array.isArray(content) && content.map(asRecord).some((c) => c['type'] === 'tool_use' && c['name'] === CLAUDE_STRUCTURED_TOOL);
}

/** The directory claude names as its working directory in the system prompt. Pure. */
export function findCwd(text: string): string | null {
  // The line's end trimmed in code (util/trim-end.ts): `(\/[^\n]*?)\s*$` took seconds over a
  // request a worker sent the scripted model with a long run of spaces in it.
  const m = /(?:Primary working directory|Working directory):[ \t]*(\/[^\n\r]*)/.exec(text);
  return m ? trimEndOf(m[1]!, LINE_BLANKS) : null;
}

function userText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map(asRecord)
    .filter((c) => c['type'] === 'text' && typeof c['text'] === 'string')
    .map((c) => c['text'] as string)
    .join('\n');
}

function collectText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(collectText).join('\n');
  const r = asRecord(value);
  return typeof r['text'] === 'string' ? r['text'] : '';
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
