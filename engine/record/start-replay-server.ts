import { appendOwnLine } from '../util/open-own-file.js';
import http from 'node:http';
import { listenLocal } from '../stub/listen-local.js';
import { serveWholeRequests } from '../stub/serve-whole-requests.js';
import { exchangeKey } from './exchange-key.js';
import { firstDifference, fromPlaceholders, normalizeBody, renormalize } from './normalize-request.js';
import type { RecordedExchange, Substitution } from './types.js';
import { redactText, type Secret } from '../workers/redact.js';

export interface ReplayServerOptions {
  exchanges: RecordedExchange[];
  /** This run's values of the recording's placeholders. */
  substitutions: Substitution[];
  /** The engine's secrets: masked in a request before it is compared, as they were when it was recorded. */
  secrets?: Secret[];
  /** Where each refused request is logged (JSON lines), when given. */
  mismatchFile?: string;
}

/** A request the recording could not answer. */
export interface ReplayMismatch {
  key: string;
  index: number;
  /** JSON pointer of the first differing field (`/messages/2/content/0/text`), `method`, `path` or `count`. */
  field: string;
  recorded: string;
  got: string;
  message: string;
}

export interface ReplayServer {
  origin: string;
  served(): number;
  mismatches: ReplayMismatch[];
  close(): Promise<void>;
}

/**
 * Serve a recording back on loopback: a request is matched by its key and its place among
 * the requests with that key; its method, path and normalised body must equal the recorded
 * ones, and then the recorded response (placeholders filled with this run's values) is sent
 * as it was. Anything else is refused with an error in the API's own shape naming the first
 * differing field, so the CLI fails the call and the engine reports a worker failure. Nothing
 * is forwarded anywhere. Impure.
 */
export async function startReplayServer(o: ReplayServerOptions): Promise<ReplayServer> {
  const byKey = new Map<string, RecordedExchange[]>();
  for (const e of o.exchanges) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);
  for (const list of byKey.values()) list.sort((a, b) => a.index - b.index);
  const cursor = new Map<string, number>();
  const mismatches: ReplayMismatch[] = [];
  let served = 0;

  const answer = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const raw = body.toString('utf8');
    const { key } = exchangeKey(method, url, String(req.headers['user-agent'] ?? ''), raw);
    const index = cursor.get(key) ?? 0;
    cursor.set(key, index + 1);
    const recorded = byKey.get(key)?.[index];
    const miss = recorded ? compare(recorded, method, url, normalizeBody(redactText(raw, o.secrets ?? []), o.substitutions)) : { field: 'count', recorded: `${byKey.get(key)?.length ?? 0} request(s)`, got: `request #${index + 1}` };
    if (miss) {
      const message = `engine replay: request #${index + 1} for ${key} does not match the recording at ${miss.field}: recorded ${miss.recorded}, got ${miss.got}`;
      const m: ReplayMismatch = { key, index, ...miss, message };
      mismatches.push(m);
      if (o.mismatchFile) appendOwnLine(o.mismatchFile, JSON.stringify(m) + '\n');
      const anthropic = /\/messages/.test(url);
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify(anthropic ? { type: 'error', error: { type: 'invalid_request_error', message } } : { error: { message, type: 'invalid_request_error', param: null, code: 'replay_mismatch' } }));
      return;
    }
    const r = recorded!.response;
    try {
      res.writeHead(r.status, r.headers);
    } catch (error) {
      throw new Error(`the recorded response cannot be sent (${(error as Error).message})`);
    }
    served += 1;
    res.end(method === 'HEAD' ? undefined : fromPlaceholders(r.body, o.substitutions));
  };
  const local = await listenLocal(serveWholeRequests('engine replay', answer));
  return { origin: local.origin, served: () => served, mismatches, close: local.close };
}

/** The first way a request differs from the recorded one, or null. Pure. */
export function compare(recorded: RecordedExchange, method: string, url: string, body: unknown): { field: string; recorded: string; got: string } | null {
  if (recorded.request.method !== method) return { field: 'method', recorded: recorded.request.method, got: method };
  if (recorded.request.path !== url) return { field: 'path', recorded: recorded.request.path, got: url };
  const d = firstDifference(renormalize(recorded.request.body), body);
  return d ? { field: d.pointer, recorded: d.recorded, got: d.got } : null;
}
