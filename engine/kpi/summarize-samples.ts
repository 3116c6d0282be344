import type { Kpis } from '../generated/state.js';
import { MEASURES, type KpiSamples } from './definitions.js';

/**
 * KPIs from samples (of one run or a pool of runs), each field as the MEASURES table computes
 * it, in the order of the state schema's `kpis`. Pure.
 */
export function summarizeSamples(s: KpiSamples): Kpis {
  return Object.fromEntries(Object.entries(MEASURES).map(([key, m]) => [key, m.of(s)])) as unknown as Kpis;
}
