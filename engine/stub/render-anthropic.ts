import { chunkText, estimateTokens, type SseEvent } from './render-sse.js';
import type { ModelReply } from './types.js';

type MessageReply = Extract<ModelReply, { kind: 'message' }>;

export interface AnthropicRenderContext {
  messageId: string;
  model: string;
  inputTokens: number;
}

/**
 * The Messages API stream for a reply: message_start, one text block and one tool_use block
 * per call (content_block_start / deltas / stop), message_delta with the stop reason and
 * usage, message_stop. Pure.
 */
export function renderAnthropicStream(reply: MessageReply, ctx: AnthropicRenderContext): SseEvent[] {
  const events: SseEvent[] = [
    { event: 'message_start', data: { type: 'message_start', message: { ...envelope(ctx), content: [], stop_reason: null, usage: usage(ctx, 1) } } },
  ];
  let index = 0;
  if (reply.text !== '' || reply.calls.length === 0) {
    events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } } });
    for (const text of chunkText(reply.text)) {
      events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text } } });
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
    index += 1;
  }
  for (const call of reply.calls) {
    events.push({
      event: 'content_block_start',
      data: { type: 'content_block_start', index, content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} } },
    });
    for (const partial_json of chunkText(JSON.stringify(call.input), 256)) {
      events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } } });
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
    index += 1;
  }
  events.push({
    event: 'message_delta',
    data: { type: 'message_delta', delta: { stop_reason: stopReason(reply), stop_sequence: null }, usage: { output_tokens: outputTokens(reply) } },
  });
  events.push({ event: 'message_stop', data: { type: 'message_stop' } });
  return events;
}

/** The non-streaming Messages API body for a reply. Pure. */
export function renderAnthropicMessage(reply: MessageReply, ctx: AnthropicRenderContext): Record<string, unknown> {
  const content: unknown[] = [];
  if (reply.text !== '' || reply.calls.length === 0) content.push({ type: 'text', text: reply.text });
  for (const call of reply.calls) content.push({ type: 'tool_use', id: call.id, name: call.name, input: call.input });
  return { ...envelope(ctx), content, stop_reason: stopReason(reply), stop_sequence: null, usage: usage(ctx, outputTokens(reply)) };
}

/** The Messages API error body (`{type: 'error', error: {type, message}}`). Pure. */
export function renderAnthropicError(errorType: string, message: string): Record<string, unknown> {
  return { type: 'error', error: { type: errorType, message } };
}

function envelope(ctx: AnthropicRenderContext) {
  return { id: ctx.messageId, type: 'message', role: 'assistant', model: ctx.model };
}

function usage(ctx: AnthropicRenderContext, output: number) {
  return { input_tokens: ctx.inputTokens, output_tokens: output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
}

function stopReason(reply: MessageReply): 'end_turn' | 'tool_use' {
  return reply.calls.length > 0 ? 'tool_use' : 'end_turn';
}

function outputTokens(reply: MessageReply): number {
  return estimateTokens(reply.text + reply.calls.map((c) => JSON.stringify(c.input)).join(''));
}
