import { createHash } from 'node:crypto';
import { policyBody } from './merge-layers.js';

/**
 * A stable hash of an effective policy: sha256 of its canonical JSON (keys sorted, the
 * apiVersion/kind/$schema file keys left out), so layering order and formatting that give
 * the same values give the same hash. Pure.
 */
export function hashPolicy(policy: Record<string, unknown>): string {
  return `sha256:${createHash('sha256').update(canonicalJson(policyBody(policy))).digest('hex')}`;
}

/** JSON with object keys sorted at every level. Pure. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
