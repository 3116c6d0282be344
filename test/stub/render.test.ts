import t from 'tap';
import { renderAnthropicMessage, renderAnthropicStream } from '../../engine/stub/render-anthropic.js';
import { renderOpenAiResponse, renderOpenAiStream } from '../../engine/stub/render-openai.js';
import { chunkText, formatSse } from '../../engine/stub/render-sse.js';
import type { ModelReply } from '../../engine/stub/types.js';

type Message = Extract<ModelReply, { kind: 'message' }>;
const text: Message = { kind: 'message', text: 'BEGIN_MARKERS\n{}\nEND_MARKERS', calls: [] };
const tools: Message = { kind: 'message', text: 'Writing.', calls: [{ id: 't_1', name: 'Write', input: { file_path: '/a', content: 'x' } }, { id: 't_2', name: 'Bash', input: { command: 'ls' } }] };
const actx = { messageId: 'msg_1', model: 'claude-x', inputTokens: 10 };
const octx = { responseId: 'resp_1', model: 'gpt-x', inputTokens: 10, createdAt: 1700000000 };

/** Rebuild what a client sees from the Anthropic stream. */
function replayAnthropic(events: { event: string; data: any }[]) {
  const blocks: any[] = [];
  let stop: string | null = null;
  for (const { data } of events) {
    if (data.type === 'content_block_start') blocks[data.index] = { ...data.content_block, json: '' };
    if (data.type === 'content_block_delta' && data.delta.type === 'text_delta') blocks[data.index].text += data.delta.text;
    if (data.type === 'content_block_delta' && data.delta.type === 'input_json_delta') blocks[data.index].json += data.delta.partial_json;
    if (data.type === 'message_delta') stop = data.delta.stop_reason;
  }
  return { blocks: blocks.map((b) => (b.type === 'tool_use' ? { type: b.type, id: b.id, name: b.name, input: JSON.parse(b.json) } : { type: b.type, text: b.text })), stop };
}

t.test('Anthropic stream: event order, text and tool_use blocks, stop reasons', async (t) => {
  const events = renderAnthropicStream(tools, actx);
  t.equal(events[0]!.event, 'message_start');
  t.same(events.slice(-2).map((e) => e.event), ['message_delta', 'message_stop']);
  t.same(replayAnthropic(events), {
    blocks: [{ type: 'text', text: 'Writing.' }, { type: 'tool_use', id: 't_1', name: 'Write', input: { file_path: '/a', content: 'x' } }, { type: 'tool_use', id: 't_2', name: 'Bash', input: { command: 'ls' } }],
    stop: 'tool_use',
  });
  t.same(replayAnthropic(renderAnthropicStream(text, actx)), { blocks: [{ type: 'text', text: text.text }], stop: 'end_turn' });
  const usage = (events.at(-2)!.data as any).usage;
  t.ok(usage.output_tokens > 0, 'message_delta carries usage');
});

t.test('Anthropic non-streaming body carries the same content', async (t) => {
  const body = renderAnthropicMessage(tools, actx);
  t.equal(body['stop_reason'], 'tool_use');
  t.same((body['content'] as any[]).map((c) => c.type), ['text', 'tool_use', 'tool_use']);
  t.same(renderAnthropicMessage({ kind: 'message', text: '', calls: [] }, actx)['content'], [{ type: 'text', text: '' }], 'an empty answer is still one text block');
});

t.test('Responses stream: created … completed, message and function_call items, deltas add up', async (t) => {
  const events = renderOpenAiStream(tools, octx);
  t.equal(events[0]!.event, 'response.created');
  t.equal(events.at(-1)!.event, 'response.completed');
  const seqs = events.map((e) => (e.data as any).sequence_number);
  t.same(seqs, seqs.map((_, i) => i), 'sequence numbers count up from 0');
  const done = events.filter((e) => e.event === 'response.output_item.done').map((e) => (e.data as any).item);
  t.same(done.map((i) => i.type), ['message', 'function_call', 'function_call']);
  t.same(done.slice(1).map((i) => [i.call_id, i.name, JSON.parse(i.arguments)]), [['t_1', 'Write', { file_path: '/a', content: 'x' }], ['t_2', 'Bash', { command: 'ls' }]]);
  const long: Message = { kind: 'message', text: 'x'.repeat(200) + 'é', calls: [] };
  const deltas = renderOpenAiStream(long, octx).filter((e) => e.event === 'response.output_text.delta').map((e) => (e.data as any).delta);
  t.ok(deltas.length > 1);
  t.equal(deltas.join(''), long.text);
  const completed = (events.at(-1)!.data as any).response;
  t.equal(completed.status, 'completed');
  t.equal(completed.usage.total_tokens, completed.usage.input_tokens + completed.usage.output_tokens);
});

t.test('Responses non-streaming body', async (t) => {
  const body = renderOpenAiResponse(text, octx);
  t.equal(body['status'], 'completed');
  t.same((body['output'] as any[])[0].content[0].text, text.text);
});

t.test('formatSse and chunkText', async (t) => {
  t.equal(formatSse([{ event: 'a', data: { x: 1 } }, { event: 'b', data: 'y' }]), 'event: a\ndata: {"x":1}\n\nevent: b\ndata: "y"\n\n');
  t.same(chunkText('😀😀😀', 2), ['😀😀', '😀'], 'never splits a code point');
  t.same(chunkText(''), []);
});
