import type { Kpis } from '../generated/state.js';
import { MEASURES, type KpiSamples } from './definitions.js';

const FIELDS = Object.entries(MEASURES) as [keyof Kpis, (typeof MEASURES)[keyof Kpis]][];

/**
 * KPIs from samples (of one run or a pool of runs), each field as the MEASURES table computes
 * it, in the order of the state schema's `kpis`. Pure.
 */
export function summarizeSamples(s: KpiSamples): Kpis {
  const kpis: Record<string, unknown> = {};
  for (const [key, m] of FIELDS) kpis[key] = m.of(s);
  return kpis as unknown as Kpis;
}
