import type { Stat } from '../generated/state.js';

/** Median, 90th percentile (nearest rank) and maximum of values. Pure. */
export function statOf(values: readonly number[]): Stat {
  if (!values.length) return { median: null, p90: null, max: null, count: 0 };
  // A typed array sorts numbers without a comparator call per pair.
  const sorted = Float64Array.from(values).sort();
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const p90 = sorted[Math.max(0, Math.ceil(0.9 * sorted.length) - 1)]!;
  return { median: round(median), p90: round(p90), max: round(sorted[sorted.length - 1]!), count: sorted.length };
}

/** Round to 3 decimals so records stay readable and stable. Pure. */
export function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
