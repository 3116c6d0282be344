import t from 'tap';
import { answerRequest } from '../../engine/stub/answer-request.js';
import type { EngineScenario } from '../../engine/stub/types.js';

const scenario: EngineScenario = { apiVersion: 'engine/v1', kind: 'Scenario', name: 'unit', replies: [{ phase: 'plan', turns: [{ text: 'PLAN' }] }] };
const ask = (method: string, url: string, body: unknown = undefined) =>
  answerRequest({ seq: 7, method, url, raw: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body), scenario, scenarioFile: 'u.scenario.yaml', now: 0 });
const planMessages = { stream: false, messages: [{ role: 'user', content: 'engine-phase: plan\nengine-step: plan' }] };

t.test('housekeeping endpoints', async (t) => {
  t.equal(ask('HEAD', '/').status, 200);
  t.equal(ask('GET', '/').status, 200);
  const models = ask('GET', '/v1/models');
  t.equal(models.status, 200);
  t.equal(JSON.parse(models.body).object, 'list');
  const count = ask('POST', '/v1/messages/count_tokens?beta=true', { messages: [] });
  t.ok(JSON.parse(count.body).input_tokens > 0);
  t.equal(ask('GET', '/v2/nothing').status, 404);
  t.equal(ask('POST', '/v1/messages', '{not json').status, 400);
});

t.test('Messages API: JSON when stream is false, SSE when true, the query string ignored', async (t) => {
  const plain = ask('POST', '/v1/messages?beta=true', planMessages);
  t.equal(plain.contentType, 'application/json');
  t.equal(JSON.parse(plain.body).content[0].text, 'PLAN');
  t.equal(plain.exchange.route.kind, 'turn');
  const streamed = ask('POST', '/v1/messages', { ...planMessages, stream: true });
  t.equal(streamed.contentType, 'text/event-stream');
  t.match(streamed.body, /^event: message_start\n/);
  t.match(streamed.body, /"text":"PLAN"/);
});

t.test('uncovered headers: 400 in each API\'s error format, naming the scenario file and headers', async (t) => {
  const a = ask('POST', '/v1/messages', { messages: [{ role: 'user', content: 'engine-phase: review\nengine-step: r' }] });
  t.equal(a.status, 400);
  t.equal(JSON.parse(a.body).type, 'error');
  t.match(JSON.parse(a.body).error.message, /u\.scenario\.yaml.*engine-phase: review, engine-step: r/);
  const o = ask('POST', '/v1/responses', { input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'engine-phase: review' }] }] });
  t.equal(o.status, 400);
  t.match(JSON.parse(o.body).error.message, /u\.scenario\.yaml/);
  t.equal(o.exchange.status, 400);
  t.equal(o.exchange.route.kind, 'uncovered');
});

t.test('Responses API streams by default; requests without headers get a minimal reply', async (t) => {
  const r = ask('POST', '/v1/responses', { input: 'hello' });
  t.equal(r.contentType, 'text/event-stream');
  t.equal(r.exchange.route.kind, 'housekeeping');
  t.match(r.body, /event: response\.completed\n/);
});
