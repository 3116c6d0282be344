import { appendFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildReply } from './build-reply.js';
import { loadScenario } from './load-scenario.js';
import { readAnthropicRequest } from './read-anthropic-request.js';
import { readOpenAiRequest } from './read-openai-request.js';
import { renderAnthropicError, renderAnthropicMessage, renderAnthropicStream } from './render-anthropic.js';
import { renderOpenAiError, renderOpenAiResponse, renderOpenAiStream } from './render-openai.js';
import { estimateTokens, formatSse } from './render-sse.js';
import { routeRequest } from './route-request.js';
import type { EngineScenario, Exchange, ModelApi, ModelRequest } from './types.js';

export interface StubModelOptions {
  /** The scenario to serve; loaded from `scenarioFile` when absent. */
  scenario?: EngineScenario;
  /** The scenario's file: loaded when `scenario` is absent, always named in error replies. */
  scenarioFile?: string;
  /** 0 or absent: a free port. */
  port?: number;
  host?: string;
  /** Called with every exchange as it completes. */
  log?: (exchange: Exchange) => void;
  /** Append every exchange to this JSONL file. */
  logFile?: string;
}

export interface StubModel {
  /** `http://127.0.0.1:PORT`: claude's ANTHROPIC_BASE_URL; codex's provider base_url is this + `/v1`. */
  origin: string;
  port: number;
  /** Every exchange so far, in order. */
  exchanges: Exchange[];
  close(): Promise<void>;
}

/**
 * Start the scripted model server: the Anthropic Messages API and the OpenAI Responses API
 * on loopback, answering from a scenario. Impure: the HTTP edge around the pure router and
 * renderers.
 */
export async function startStubModel(options: StubModelOptions): Promise<StubModel> {
  const scenarioFile = options.scenarioFile ?? '<inline scenario>';
  const scenario = options.scenario ?? (options.scenarioFile ? await loadScenario(options.scenarioFile) : undefined);
  if (!scenario) throw new Error('startStubModel needs a scenario or a scenarioFile');
  const exchanges: Exchange[] = [];
  let logChain = Promise.resolve();
  const record = (exchange: Exchange) => {
    exchanges.push(exchange);
    options.log?.(exchange);
    if (options.logFile) {
      const file = options.logFile;
      logChain = logChain.then(() => appendFile(file, JSON.stringify(exchange) + '\n')).catch(() => undefined);
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seq = exchanges.length + 1;
      const raw = Buffer.concat(chunks).toString('utf8');
      const answer = answerRequest({ seq, method: req.method ?? 'GET', url: req.url ?? '/', raw, scenario, scenarioFile, now: Date.now() });
      res.writeHead(answer.status, { 'content-type': answer.contentType });
      res.end(req.method === 'HEAD' ? undefined : answer.body);
      record(answer.exchange);
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://${host}:${port}`,
    port,
    exchanges,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await logChain;
    },
  };
}

interface RawRequest {
  seq: number;
  method: string;
  url: string;
  raw: string;
  scenario: EngineScenario;
  scenarioFile: string;
  now: number;
}

interface Answer {
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
    body = JSON.parse(r.raw);
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
