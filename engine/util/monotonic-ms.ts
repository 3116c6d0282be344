/**
 * Milliseconds on the monotonic clock, for durations. Impure (reads the clock).
 *
 * Not `performance.now()`: Node loads its perf_hooks module on the global's first use, about
 * 3 ms of every run's start-up.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
