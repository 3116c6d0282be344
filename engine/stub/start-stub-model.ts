import { appendFile } from 'node:fs/promises';
import { listenLocal } from './listen-local.js';
import { serveWholeRequests } from './serve-whole-requests.js';
import { answerRequest } from './answer-request.js';
import { loadScenario } from './load-scenario.js';
import type { EngineScenario, Exchange } from './types.js';

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
  /** Told of the first append to `logFile` that fails; later exchanges are not appended. */
  onLogError?: (error: Error) => void;
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
  let logFailed = false;
  const record = (exchange: Exchange) => {
    exchanges.push(exchange);
    options.log?.(exchange);
    if (options.logFile) {
      const file = options.logFile;
      // After a failed append the log stops (a gap in it would pass for the whole traffic).
      logChain = logChain.then(() => (logFailed ? undefined : appendFile(file, JSON.stringify(exchange) + '\n'))).catch((error: Error) => {
        logFailed = true;
        options.onLogError?.(error);
      });
    }
  };

  // Whole requests, their size bounded, a throw answered as a failed call (serve-whole-requests.ts).
  const server = serveWholeRequests('engine scripted model', (req, res, body) => {
    const seq = exchanges.length + 1;
    const raw = body.toString('utf8');
    const answer = answerRequest({ seq, method: req.method ?? 'GET', url: req.url ?? '/', raw, scenario, scenarioFile, now: Date.now() });
    res.writeHead(answer.status, { 'content-type': answer.contentType });
    res.end(req.method === 'HEAD' ? undefined : answer.body);
    record(answer.exchange);
  });
  const local = await listenLocal(server, { host: options.host, port: options.port });
  return {
    origin: local.origin,
    port: local.port,
    exchanges,
    close: async () => {
      await local.close();
      await logChain;
    },
  };
}
