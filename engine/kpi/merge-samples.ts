import { SAMPLES, type KpiSamples, type SampleKey } from './definitions.js';
import type { SampleKind } from './sample-kinds.js';

/**
 * The samples of several runs as one pool, each sample pooled as the SAMPLES table says:
 * measured values concatenated (run order kept), counts summed, cost null only when no run
 * reported any. Rates are not merged here; they are recomputed from the pooled counts by
 * `summarizeSamples`. Pure.
 */
export function mergeSamples(runs: readonly KpiSamples[]): KpiSamples {
  const keys = Object.keys(SAMPLES) as SampleKey[];
  return Object.fromEntries(
    keys.map((key) => {
      const kind: SampleKind<unknown> = SAMPLES[key];
      // Samples recorded before this one existed (an older index line) pool as an empty timeline's.
      return [key, kind.merge(runs.map((s) => (key in s ? s[key] : kind.open().finish())))];
    }),
  ) as KpiSamples;
}
