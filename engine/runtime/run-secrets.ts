import type { CompiledPipeline } from '../compile/ir.js';
import { collectSecrets, redactText, type Secret } from '../workers/redact.js';

/**
 * The secrets of a run: values of the variables named by `transcripts.redact` in the
 * engine's environment and in every worker's `env:`. Everything the engine writes into the
 * run directory (timeline, state.json, summary, memo, verification logs) goes through them,
 * not only the worker transcripts: a verification command or a failure tail can print a key
 * as easily as a worker can. Pure.
 */
export function runSecrets(globs: readonly string[], childEnv: NodeJS.ProcessEnv, ir: CompiledPipeline): Secret[] {
  return collectSecrets(globs, [childEnv, ...Object.values(ir.workers).map((w) => w.env as Record<string, string> | undefined)]);
}

/** A copy of a JSON value with every secret in its strings (keys included) replaced. Pure. */
export function redactDeep<T>(value: T, secrets: readonly Secret[]): T {
  if (secrets.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactText(v, secrets);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [redactText(k, secrets), walk(x)]));
    return v;
  };
  return walk(value) as T;
}
