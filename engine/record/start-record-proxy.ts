import { appendOwnLine, writeFreshFile } from '../util/open-own-file.js';
import http from 'node:http';
import https from 'node:https';
import { listenLocal } from '../stub/listen-local.js';
import { serveWholeRequests } from '../stub/serve-whole-requests.js';
import { redactText, type Secret } from '../workers/redact.js';
import { exchangeKey } from './exchange-key.js';
import { hashBody, normalizeBody, toPlaceholders } from './normalize-request.js';
import { forwardHeaders, redactHeaders } from './redact-headers.js';
import type { RecordedExchange, RecordingHeader, Substitution } from './types.js';
import { engineVersion } from '../version.js';

export interface RecordProxyOptions {
  /** Origin the traffic goes to: the scripted model or the workers' model_endpoint. */
  upstream: string;
  /** The recording to write (`model-recording.jsonl`); created fresh. */
  file: string;
  runId: string;
  /** Run-specific strings stored as placeholders. */
  substitutions: Substitution[];
  /** Values never written (the engine's secrets). */
  secrets: Secret[];
  /** The worker that runs a step (from the pipeline), to label each exchange. */
  workerOfStep: (step: string) => string | null;
}

export interface RecordProxy {
  origin: string;
  /** Exchanges recorded so far. */
  count(): number;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of a model API: each request goes to the upstream as it
 * came (credentials included, compression refused so the body can be stored as text); the
 * response streams back to the CLI as it arrives and, once whole, is appended to the
 * recording with the request's key, normalised body and redacted headers. Impure.
 */
export async function startRecordProxy(o: RecordProxyOptions): Promise<RecordProxy> {
  const header: RecordingHeader = { type: 'recording', schema_version: 1, engine_version: engineVersion, run_id: o.runId, upstream: o.upstream, placeholders: o.substitutions.map((s) => s.name) };
  writeFreshFile(o.file, JSON.stringify(header) + '\n');
  const counts = new Map<string, number>();
  let seq = 0;
  const upstream = new URL(o.upstream);
  const client = upstream.protocol === 'https:' ? https : http;
  const store = (text: string) => redactText(toPlaceholders(text, o.substitutions), o.secrets);

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): void => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const up = client.request(
      { protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method, path: url, headers: { ...forwardHeaders(req.headers), host: upstream.host, ...(raw.length ? { 'content-length': String(raw.length) } : {}) } },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, forwardHeaders(ur.headers));
        const body: Buffer[] = [];
        ur.on('data', (c: Buffer) => {
          body.push(c);
          res.write(c);
        });
        // An upstream that drops the connection mid-response: the client's is dropped too, so
        // the CLI sees the network error it would have seen without the proxy (and retries)
        // instead of waiting for the rest for ever. What was cut short is not recorded.
        ur.on('error', () => {});
        ur.on('close', () => {
          if (!ur.complete) res.destroy();
        });
        ur.on('end', () => {
          if (!ur.complete) return;
          res.end();
          // Recording it can fail (a response past what a string holds): the exchange is then
          // left out, the replay of it refused as a mismatch, never the engine's end.
          try {
            recordExchange(ur);
          } catch {
            /* not recorded */
          }
        });
        const recordExchange = (ur: http.IncomingMessage): void => {
          const text = raw.toString('utf8');
          const { key, step } = exchangeKey(method, url, String(req.headers['user-agent'] ?? ''), text);
          const index = counts.get(key) ?? 0;
          counts.set(key, index + 1);
          const normal = normalizeBody(redactText(text, o.secrets), o.substitutions);
          const exchange: RecordedExchange = {
            type: 'exchange',
            seq: ++seq,
            worker: step === null ? null : o.workerOfStep(step),
            key,
            index,
            request: { method, path: url, headers: redactHeaders(req.headers, o.secrets), body_sha256: hashBody(normal), body: normal },
            response: { status: ur.statusCode ?? 502, headers: redactHeaders(ur.headers, o.secrets), body: store(Buffer.concat(body).toString('utf8')) },
          };
          appendOwnLine(o.file, JSON.stringify(exchange) + '\n');
        };
      },
    );
    up.on('error', (e) => {
      // After the response began, the status is sent: only dropping the connection says it failed.
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: `engine record proxy: upstream ${o.upstream} failed: ${e.message}` } }));
    });
    // The client went before its answer was whole: the upstream request goes too (no tokens
    // spent on an answer nobody reads).
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    up.end(raw);
  };
  const local = await listenLocal(serveWholeRequests('engine record proxy', forward));
  return { origin: local.origin, count: () => seq, close: local.close };
}
