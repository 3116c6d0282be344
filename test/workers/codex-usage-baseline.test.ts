import t from 'tap';
import { createCodexParser } from '../../engine/workers/parse/codex-exec-json.js';

const lines = [
  '{"type":"thread.started","thread_id":"th-1"}',
  '{"type":"turn.started"}',
  '{"type":"item.completed","item":{"id":"i1","type":"agent_message","text":"again"}}',
  '{"type":"turn.completed","usage":{"input_tokens":30155,"cached_input_tokens":100,"output_tokens":90}}',
];
const exit = { exitCode: 0, signal: null, timedOut: false, idleTimedOut: false, spawnError: null };

t.test('a resumed thread records only the tokens of this call', async (t) => {
  const p = createCodexParser({ input_tokens: 14744, output_tokens: 40, cached_input_tokens: 100 });
  const events = lines.flatMap((l) => p.line(l));
  t.same(events.filter((e) => e.kind === 'usage'), [{ kind: 'usage', input_tokens: 15411, output_tokens: 50, cached_input_tokens: 0 }]);
  t.same(p.end(exit, '').usage, { input_tokens: 15411, output_tokens: 50, cached_input_tokens: 0 });
});

t.test('a fresh thread records the totals as they come', async (t) => {
  const p = createCodexParser();
  lines.forEach((l) => p.line(l));
  t.same(p.end(exit, '').usage, { input_tokens: 30155, output_tokens: 90, cached_input_tokens: 100 });
});
