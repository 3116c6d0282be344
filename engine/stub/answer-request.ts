import { buildReply } from './build-reply.js';
import { readAnthropicRequest } from './read-anthropic-request.js';
import { readOpenAiRequest } from './read-openai-request.js';
import { renderAnthropicError, renderAnthropicMessage, renderAnthropicStream } from './render-anthropic.js';
import { renderOpenAiError, renderOpenAiResponse, renderOpenAiStream } from './render-openai.js';
import { estimateTokens, formatSse } from './render-sse.js';
import { routeRequest } from './route-request.js';
import type { EngineScenario, Exchange, ModelApi, ModelRequest } from './types.js';
import { parseJson } from '../util/parse-json.js';

/** One HTTP request as the server received it. */
export interface RawRequest {
  seq: number;
  method: string;
  url: string;
  raw: string;
  scenario: EngineScenario;
  scenarioFile: string;
  now: number;
}

/** What to send back, and the exchange to log. */
export interface Answer {
  status: number;
  contentType: string;
  body: string;
  exchange: Exchange;
}

/** One request in, one answer out; the exchange records both. Pure (time is passed in). */
export function answerRequest(r: RawRequest): Answer {
  const path = r.url.split('?')[0]!.replace(/\/+$/, '') || '/';
  const base = { seq: r.seq, method: r.method, path: r.url, api: null, headers: null, turnIndex: null };
  const json = (status: number, body: unknown, api: ModelApi | null = null): Answer => ({
    status,
    contentType: 'application/json',
    body: JSON.stringify(body),
    exchange: { ...base, api, route: { kind: 'endpoint' }, status, reply: { kind: 'json', body } },
  });
  if (path === '/' && (r.method === 'GET' || r.method === 'HEAD')) return json(200, { ok: true });
  if (r.method === 'GET' && path === '/v1/models') return json(200, { object: 'list', data: [{ id: 'engine-scripted', object: 'model', owned_by: 'engine' }], models: [] });
  if (r.method !== 'POST') return json(404, renderOpenAiError('not_found_error', `engine scripted model: no ${r.method} ${path}`));
  let body: unknown;
  try {
    body = parseJson(r.raw);
  } catch {
    return json(400, renderAnthropicError('invalid_request_error', `engine scripted model: request body is not JSON`));
  }
  if (path === '/v1/messages/count_tokens') return json(200, { input_tokens: estimateTokens(r.raw) }, 'anthropic');
  if (path === '/v1/messages') return answerModel(r, readAnthropicRequest(body), base);
  if (path === '/v1/responses') return answerModel(r, readOpenAiRequest(body), base);
  return json(404, renderOpenAiError('not_found_error', `engine scripted model: no POST ${path}`));
}

function answerModel(r: RawRequest, request: ModelRequest, base: Pick<Exchange, 'seq' | 'method' | 'path'>): Answer {
  const route = routeRequest(r.scenario, r.scenarioFile, request);
  const idPrefix = request.api === 'anthropic' ? `toolu_engine_${r.seq}` : `call_engine_${r.seq}`;
  const reply = buildReply(r.scenario, route, request, idPrefix);
  const exchange: Exchange = { ...base, api: request.api, headers: request.headers, turnIndex: request.turnIndex, route, status: 200, reply };
  if (reply.kind === 'error') {
    const body = request.api === 'anthropic' ? renderAnthropicError(reply.errorType, reply.message) : renderOpenAiError(reply.errorType, reply.message);
    return { status: reply.status, contentType: 'application/json', body: JSON.stringify(body), exchange: { ...exchange, status: reply.status } };
  }
  const inputTokens = estimateTokens(r.raw);
  if (request.api === 'anthropic') {
    const ctx = { messageId: `msg_engine_${r.seq}`, model: request.model, inputTokens };
    return request.stream
      ? { status: 200, contentType: 'text/event-stream', body: formatSse(renderAnthropicStream(reply, ctx)), exchange }
      : { status: 200, contentType: 'application/json', body: JSON.stringify(renderAnthropicMessage(reply, ctx)), exchange };
  }
  const ctx = { responseId: `resp_engine_${r.seq}`, model: request.model, inputTokens, createdAt: Math.floor(r.now / 1000) };
  return request.stream
    ? { status: 200, contentType: 'text/event-stream', body: formatSse(renderOpenAiStream(reply, ctx)), exchange }
    : { status: 200, contentType: 'application/json', body: JSON.stringify(renderOpenAiResponse(reply, ctx)), exchange };
}
