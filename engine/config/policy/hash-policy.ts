import { hashOf } from '../../util/canonical-json.js';
import { policyBody } from './merge-layers.js';

export { canonicalJson } from '../../util/canonical-json.js';

/**
 * A stable hash of an effective policy: sha256 of its canonical JSON (keys sorted, the
 * apiVersion/kind/$schema file keys left out), so layering order and formatting that give
 * the same values give the same hash. Pure.
 */
export function hashPolicy(policy: Record<string, unknown>): string {
  return hashOf(policyBody(policy));
}
