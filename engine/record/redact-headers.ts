import { redactText, type Secret } from '../workers/redact.js';

/** Headers that carry credentials: stored as `[REDACTED]`, forwarded untouched. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'cookie', 'set-cookie', 'chatgpt-account-id', 'openai-organization', 'openai-project']);

/** Connection-level headers a proxy neither forwards nor stores. */
export const HOP_HEADERS = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'proxy-connection', 'upgrade', 'te', 'trailer', 'accept-encoding', 'content-encoding', 'date']);

/**
 * Headers as stored in a recording: no connection-level ones, credentials as `[REDACTED]`,
 * other values with the engine's secrets and key-shaped tokens masked. Pure.
 */
export function redactHeaders(headers: Record<string, string | string[] | undefined>, secrets: readonly Secret[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const n = name.toLowerCase();
    if (value === undefined || HOP_HEADERS.has(n)) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    out[n] = CREDENTIAL_HEADERS.has(n) ? '[REDACTED]' : redactText(text, secrets);
  }
  return out;
}

/** The headers a proxy sends on: all but connection-level ones (credentials included). Pure. */
export function forwardHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_HEADERS.has(name.toLowerCase())) out[name] = value;
  return out;
}
