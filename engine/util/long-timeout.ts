/**
 * A timer for any delay. Node keeps a delay of at most 2^31-1 ms (24.8 days) and runs a longer
 * one after 1 ms: a worker's `timeout_s: 3000000` ended the call at once, "still running after
 * 3000000 s". Impure (timers).
 */

/** The longest delay one Node timer keeps. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimeout {
  clear(): void;
}

/** Calls `fn` once `ms` have passed, through as many timers of at most MAX_TIMER_MS as it takes. */
export function setLongTimeout(fn: () => void, ms: number): LongTimeout {
  let timer: NodeJS.Timeout;
  const arm = (left: number): void => {
    timer = left > MAX_TIMER_MS ? setTimeout(() => arm(left - MAX_TIMER_MS), MAX_TIMER_MS) : setTimeout(fn, left);
  };
  arm(ms);
  return { clear: () => clearTimeout(timer) };
}
