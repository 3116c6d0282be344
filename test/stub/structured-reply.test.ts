import t from 'tap';
import { shapeStructuredReply, splitMarkersBlock } from '../../engine/stub/structured-reply.js';
import type { ModelReply, ModelRequest } from '../../engine/stub/types.js';

const req = (structured: ModelRequest['structured']): ModelRequest => ({ api: structured === 'openai-json-schema' ? 'openai' : 'anthropic', headers: { phase: 'review' }, turnIndex: 0, cwd: null, stream: true, model: 'm', tools: [], structured });
const text = 'Looks right.\n\nBEGIN_MARKERS\n{"verdict": "approve", "changes": []}\nEND_MARKERS\n';
const message = (t: string, calls: Extract<ModelReply, { kind: 'message' }>['calls'] = []): ModelReply => ({ kind: 'message', text: t, calls });

t.test('splitMarkersBlock: the last complete block whose body is an object', async (t) => {
  t.same(splitMarkersBlock(text), { prose: 'Looks right.', value: { verdict: 'approve', changes: [] } });
  t.same(splitMarkersBlock('```\nBEGIN_MARKERS\n```json\n{"a": 1}\n```\nEND_MARKERS\n```'), { prose: '```', value: { a: 1 } }, 'fences inside are dropped');
  t.same(splitMarkersBlock('BEGIN_MARKERS\n{"a": 1}\nEND_MARKERS\nBEGIN_MARKERS\n{"a": 2}\nEND_MARKERS')?.value, { a: 2 }, 'the last block counts');
  for (const bad of ['no block', 'BEGIN_MARKERS\n{"a": 1}', 'BEGIN_MARKERS\n{not json}\nEND_MARKERS', 'BEGIN_MARKERS\n[1, 2]\nEND_MARKERS', 'BEGIN_MARKERS\nnull\nEND_MARKERS', 'END_MARKERS\n{"a":1}\nBEGIN_MARKERS']) {
    t.equal(splitMarkersBlock(bad), null, JSON.stringify(bad));
  }
});

t.test('shapeStructuredReply: the shape each CLI asked for, garbage left as it is', async (t) => {
  t.same(shapeStructuredReply(message(text), req('openai-json-schema'), 'call_1'), message('{"verdict":"approve","changes":[]}'), 'codex: the bare JSON');
  t.same(shapeStructuredReply(message(text), req('claude-tool'), 'toolu_1'), message('Looks right.', [{ id: 'toolu_1_structured', name: 'StructuredOutput', input: { verdict: 'approve', changes: [] } }]), 'claude: a StructuredOutput call');
  t.same(shapeStructuredReply(message(text), req(null), 'x'), message(text), 'not asked: unchanged');
  const garbage = message('BEGIN_MARKERS\n{oops\nEND_MARKERS');
  t.same(shapeStructuredReply(garbage, req('claude-tool'), 'x'), garbage, 'a hostile scenario stays hostile');
  const working = message(text, [{ id: 'c', name: 'Bash', input: { command: 'ls' } }]);
  t.same(shapeStructuredReply(working, req('claude-tool'), 'x'), working, 'a turn that calls tools is not the answer yet');
  const error: ModelReply = { kind: 'error', status: 400, errorType: 'x', message: 'm' };
  t.same(shapeStructuredReply(error, req('openai-json-schema'), 'x'), error);
});
