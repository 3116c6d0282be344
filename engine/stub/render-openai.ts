import { chunkText, estimateTokens, type SseEvent } from './render-sse.js';
import type { ModelReply } from './types.js';

type MessageReply = Extract<ModelReply, { kind: 'message' }>;

export interface OpenAiRenderContext {
  responseId: string;
  model: string;
  inputTokens: number;
  /** Seconds since the epoch for `created_at`; injected so rendering stays pure. */
  createdAt: number;
}

/**
 * The Responses API stream for a reply: response.created, then per output item (a `message`
 * for the text, a `function_call` per call) output_item.added, its deltas and
 * output_item.done, and response.completed with the usage. Pure.
 */
export function renderOpenAiStream(reply: MessageReply, ctx: OpenAiRenderContext): SseEvent[] {
  const events: SseEvent[] = [];
  let seq = 0;
  const push = (type: string, data: Record<string, unknown>) => events.push({ event: type, data: { type, sequence_number: seq++, ...data } });
  push('response.created', { response: envelope(ctx, 'in_progress', [], null) });
  push('response.in_progress', { response: envelope(ctx, 'in_progress', [], null) });
  const output = outputItems(reply, ctx);
  output.forEach((item, output_index) => {
    const id = item['id'] as string;
    if (item['type'] === 'message') {
      const text = reply.text;
      push('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', content: [] } });
      push('response.content_part.added', { item_id: id, output_index, content_index: 0, part: textPart('') });
      for (const delta of chunkText(text)) push('response.output_text.delta', { item_id: id, output_index, content_index: 0, delta });
      push('response.output_text.done', { item_id: id, output_index, content_index: 0, text });
      push('response.content_part.done', { item_id: id, output_index, content_index: 0, part: textPart(text) });
    } else {
      const args = item['arguments'] as string;
      push('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', arguments: '' } });
      for (const delta of chunkText(args, 256)) push('response.function_call_arguments.delta', { item_id: id, output_index, delta });
      push('response.function_call_arguments.done', { item_id: id, output_index, arguments: args });
    }
    push('response.output_item.done', { output_index, item });
  });
  push('response.completed', { response: envelope(ctx, 'completed', output, usage(reply, ctx)) });
  return events;
}

/** The non-streaming Responses API body for a reply. Pure. */
export function renderOpenAiResponse(reply: MessageReply, ctx: OpenAiRenderContext): Record<string, unknown> {
  return envelope(ctx, 'completed', outputItems(reply, ctx), usage(reply, ctx));
}

/** The OpenAI error body (`{error: {message, type, param, code}}`). Pure. */
export function renderOpenAiError(errorType: string, message: string): Record<string, unknown> {
  return { error: { message, type: errorType, param: null, code: null } };
}

function outputItems(reply: MessageReply, ctx: OpenAiRenderContext): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [];
  if (reply.text !== '' || reply.calls.length === 0) {
    items.push({ type: 'message', id: `msg_${ctx.responseId}`, status: 'completed', role: 'assistant', content: [textPart(reply.text)] });
  }
  for (const call of reply.calls) {
    items.push({ type: 'function_call', id: `fc_${call.id}`, call_id: call.id, name: call.name, arguments: JSON.stringify(call.input), status: 'completed' });
  }
  return items;
}

function textPart(text: string) {
  return { type: 'output_text', text, annotations: [] };
}

function envelope(ctx: OpenAiRenderContext, status: string, output: unknown[], usage: unknown) {
  return { id: ctx.responseId, object: 'response', created_at: ctx.createdAt, status, model: ctx.model, output, usage };
}

function usage(reply: MessageReply, ctx: OpenAiRenderContext) {
  const output_tokens = estimateTokens(reply.text + reply.calls.map((c) => JSON.stringify(c.input)).join(''));
  return {
    input_tokens: ctx.inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: ctx.inputTokens + output_tokens,
  };
}
