import t from 'tap';
import { firstDifference, fromPlaceholders, hashBody, normalizeBody, renormalize, toPlaceholders } from '../../engine/record/normalize-request.js';
import { exchangeKey } from '../../engine/record/exchange-key.js';
import { redactHeaders } from '../../engine/record/redact-headers.js';
import { compare } from '../../engine/record/start-replay-server.js';
import type { RecordedExchange } from '../../engine/record/types.js';

const subs = [
  { name: 'workspace', value: '/tmp/ws/run-1' },
  { name: 'workspaces', value: '/tmp/ws' },
];

t.test('placeholders: longest value first, and back with another run\'s values', async (t) => {
  const text = 'cd /tmp/ws/run-1/src && ls /tmp/ws';
  const stored = toPlaceholders(text, subs);
  t.equal(stored, 'cd {{workspace}}/src && ls {{workspaces}}');
  t.equal(fromPlaceholders(stored, [{ name: 'workspace', value: '/w/r2' }, { name: 'workspaces', value: '/w' }]), 'cd /w/r2/src && ls /w');
});

t.test('normalizeBody drops volatile keys and masks ids, times and timings', async (t) => {
  const a = { model: 'm', metadata: { user_id: 'u1' }, prompt_cache_key: 'k1', input: [{ id: 'at_01a231f6-1500-7f02-bbfd-5b149ee5d637', type: 'message', content: 'Today is 2026-12-01; at 2026-12-01T14:07:02.118Z in /tmp/ws/run-1' }, { type: 'function_call_output', output: 'Chunk ID: f61469\nWall time: 0.2 seconds\nb\na\n# duration_ms 359.3' }] };
  const b = { model: 'm', metadata: { user_id: 'u2' }, prompt_cache_key: 'k2', input: [{ id: 'at_01a231f6-765c-7140-a73b-51133795fbb5', type: 'message', content: 'Today is 2026-12-02; at 2026-12-02T09:00:00.000Z in /tmp/ws/run-1' }, { type: 'function_call_output', output: 'Chunk ID: a8e17b\nWall time: 0.1 seconds\na\nb\n# duration_ms 12.5' }] };
  const na = normalizeBody(JSON.stringify(a), subs);
  const nb = normalizeBody(JSON.stringify(b), subs);
  t.same(na, nb, 'the same request twice normalises the same');
  t.equal(hashBody(na), hashBody(nb));
  t.same(renormalize(na), na, 'normalising is idempotent');
  t.notMatch(JSON.stringify(na), /\/tmp\/ws/, 'paths are placeholders');
  t.equal(normalizeBody('', subs), null);
  t.equal(normalizeBody('not json 2026-01-01', subs), 'not json <date>');
});

t.test("normalizeBody masks commit ids: a checkpoint's differs from one run to the next", async (t) => {
  const at = (log: string, show: string) => normalizeBody(JSON.stringify({ system: [{ type: 'text', text: `Status:\n M a.js\n\nRecent commits:\n${log} engine: milestone 1 count-core\n4b825dc initial` }], tool: `commit ${show}\nAuthor: engine` }), []);
  t.same(at('58d106e', '58d106e2b6a1c0ffee58d106e2b6a1c0ffee58d1'), at('a0bcac4', 'a0bcac4e3f9d0deadbeefa0bcac4e3f9d0deadbe'), 'recent commits and git log agree once masked');
  t.notSame(at('58d106e', 'x'), normalizeBody(JSON.stringify({ system: [{ type: 'text', text: 'Status:\n M b.js\n\nRecent commits:\n58d106e engine: milestone 1 count-core\n4b825dc initial' }], tool: 'commit x\nAuthor: engine' }), []), 'the rest of the text still counts');
  t.same(normalizeBody(JSON.stringify({ text: 'x = cafe1234 and deadbeef' }), []), { text: 'x = cafe1234 and deadbeef' }, 'hex inside a line is left alone');
});

t.test('firstDifference names the first differing field as a JSON pointer', async (t) => {
  t.equal(firstDifference({ a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] }), null);
  t.match(firstDifference({ a: [1, { b: 'same prefix then x' }] }, { a: [1, { b: 'same prefix then y' }] }), { pointer: '/a/1/b', recorded: 'same prefix then x', got: 'same prefix then y' });
  t.match(firstDifference({ a: [1] }, { a: [1, 2] }), { pointer: '/a/1', recorded: '(absent)', got: '2' });
  t.match(firstDifference({ 'x/y': 1 }, { 'x/y': 2 }), { pointer: '/x~1y' });
  t.match(firstDifference({ a: 1 }, { b: 1 }), { pointer: '/a', recorded: '1', got: '(absent)' });
  t.match(firstDifference('s', 3), { pointer: '/' });
  const long = 'x'.repeat(500);
  const d = firstDifference(long + 'A' + long, long + 'B' + long)!;
  t.ok(d.recorded.length < 200 && d.recorded.includes('A') && d.got.includes('B'), 'long strings are cut around the change');
});

t.test('exchangeKey: step, milestone, attempt from the engine headers; housekeeping apart', async (t) => {
  const anthropic = JSON.stringify({ messages: [{ role: 'user', content: 'engine-phase: implement\nengine-step: implement\nengine-milestone: 2\nengine-attempt: 1\n\ngo' }] });
  t.same(exchangeKey('POST', '/v1/messages?beta=true', 'claude-cli/2', anthropic), { key: 'step implement milestone 2 attempt 1', step: 'implement' });
  const repair = JSON.stringify({ input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'engine-phase: repair\nengine-step: plan\nengine-milestone: -\nengine-attempt: 1\nengine-repair-of: plan\n' }] }] });
  t.same(exchangeKey('POST', '/v1/responses', 'codex_exec/0.169.0', repair), { key: 'step plan milestone - attempt 1 repair-of plan', step: 'plan' });
  t.same(exchangeKey('HEAD', '/', 'claude-cli/2', ''), { key: 'housekeeping claude HEAD /', step: null });
  t.same(exchangeKey('POST', '/v1/messages', 'x', '{not json'), { key: 'housekeeping other POST /v1/messages', step: null });
});

t.test('redactHeaders: credentials and secret values never stored', async (t) => {
  const h = redactHeaders({ 'x-api-key': 'k', authorization: 'Bearer sk-abcdefghijklmnopqrstuvwx', 'user-agent': 'ua has hunter22secret', host: 'h', 'content-length': '3', 'content-type': 'application/json' }, [{ name: 'MY_SECRET', value: Buffer.from('hunter22secret') }]);
  t.same(h, { 'x-api-key': '[REDACTED]', authorization: '[REDACTED]', 'user-agent': 'ua has [REDACTED:MY_SECRET]', 'content-type': 'application/json' });
});

t.test('compare: method, path, then the body', async (t) => {
  const rec = { request: { method: 'POST', path: '/v1/responses', body: { a: 1 } } } as unknown as RecordedExchange;
  t.equal(compare(rec, 'POST', '/v1/responses', { a: 1 }), null);
  t.match(compare(rec, 'GET', '/v1/responses', { a: 1 }), { field: 'method' });
  t.match(compare(rec, 'POST', '/v1/messages', { a: 1 }), { field: 'path' });
  t.match(compare(rec, 'POST', '/v1/responses', { a: 2 }), { field: '/a', recorded: '1', got: '2' });
});
