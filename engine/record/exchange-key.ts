import { readAnthropicRequest } from '../stub/read-anthropic-request.js';
import { readOpenAiRequest } from '../stub/read-openai-request.js';
import type { EngineHeaders } from '../stub/types.js';
import { endpointWorkerNames } from '../workers/builtin-workers.js';
import { parseJson } from '../util/parse-json.js';

/**
 * What a request is matched by on replay, and the step it belongs to: for a model request
 * with engine headers (contract §4) `step <id> milestone <m> attempt <a>[ repair-of <p>]`,
 * whose exchanges are then taken in order; for the CLI's own housekeeping (a probe, a title)
 * the client and `METHOD path`. Pure.
 */
export function exchangeKey(method: string, url: string, userAgent: string, rawBody: string): { key: string; step: string | null } {
  const headers = engineHeadersOf(url, rawBody);
  if (!headers) return { key: `housekeeping ${clientOf(userAgent)} ${method} ${url}`, step: null };
  const parts = [`step ${headers.step ?? '-'}`, `milestone ${headers.milestone ?? '-'}`, `attempt ${headers.attempt ?? '-'}`];
  if (headers.repairOf) parts.push(`repair-of ${headers.repairOf}`);
  return { key: parts.join(' '), step: headers.step ?? null };
}

/** The engine headers of a Messages or Responses request body, or null. Pure. */
export function engineHeadersOf(url: string, rawBody: string): EngineHeaders | null {
  const p = url.split('?')[0]!.replace(/\/+$/, '');
  if (!p.endsWith('/messages') && !p.endsWith('/messages/count_tokens') && !p.endsWith('/responses')) return null;
  let body: unknown;
  try {
    body = parseJson(rawBody);
  } catch {
    return null;
  }
  return (p.endsWith('/responses') ? readOpenAiRequest(body) : readAnthropicRequest(body)).headers;
}

/** The built-in worker that takes an endpoint and whose name the user agent carries (claude-cli/…, codex_exec/…), else `other`. */
function clientOf(userAgent: string): string {
  const ua = userAgent.toLowerCase();
  return endpointWorkerNames().find((name) => ua.includes(name)) ?? 'other';
}
