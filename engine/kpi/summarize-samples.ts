import type { Kpis } from '../generated/state.js';
import { MEASURES, type KpiSamples } from './definitions.js';

/** The fields of `Kpis` and how each is measured, in the state schema's order. */
export const KPI_FIELDS = Object.entries(MEASURES) as [keyof Kpis, (typeof MEASURES)[keyof Kpis]][];

/**
 * KPIs from samples (of one run or a pool of runs), each field as the MEASURES table computes
 * it, in the order of the state schema's `kpis`. Pure.
 */
export function summarizeSamples(s: KpiSamples): Kpis {
  const kpis: Record<string, unknown> = {};
  for (const [key, m] of KPI_FIELDS) kpis[key] = m.of(s);
  return kpis as unknown as Kpis;
}
