import { randomBytes } from 'node:crypto';
import { monotonicMs } from '../util/monotonic-ms.js';

/** Time and randomness of a run, injected so that tests are deterministic. */
export interface RunEnv {
  now(): Date;
  /** Hex characters for run id suffixes. */
  randomHex(bytes: number): string;
  /** Start a stopwatch; calling the result gives the elapsed ms. */
  timer(): () => number;
  /**
   * A duration measured by someone else (a child's wall time) as the run records it: itself
   * on the real clock, the clock's step on an injected one, so records stay reproducible.
   */
  duration(measuredMs: number): number;
}

/** The real clock and random source. Impure. */
export function systemRunEnv(): RunEnv {
  return {
    now: () => new Date(),
    randomHex: (n) => randomBytes(n).toString('hex'),
    timer: () => {
      const start = monotonicMs();
      return () => Math.round(monotonicMs() - start);
    },
    duration: (ms) => ms,
  };
}

/**
 * A deterministic clock for tests and reproducible runs: starts at `start` and moves one
 * second on every read; randomness is a counter. Pure apart from its own counters.
 */
export function steppingRunEnv(start: Date, stepMs = 1000): RunEnv {
  let t = start.getTime();
  let r = 0;
  const now = (): Date => {
    const d = new Date(t);
    t += stepMs;
    return d;
  };
  return {
    now,
    randomHex: (n) => (r++).toString(16).padStart(n * 2, '0').slice(-n * 2),
    timer: () => {
      const start = t;
      return () => t - start;
    },
    duration: () => stepMs,
  };
}

/**
 * The run env from the environment: `ENGINE_FAKE_CLOCK=<ISO date>` selects the stepping clock
 * (a test hook, documented in docs/runs.md); otherwise the system clock.
 */
export function runEnvFrom(env: NodeJS.ProcessEnv): RunEnv {
  const fake = env.ENGINE_FAKE_CLOCK;
  if (fake) {
    const start = new Date(fake);
    if (!Number.isNaN(start.getTime())) return steppingRunEnv(start);
  }
  return systemRunEnv();
}

/**
 * A run id that sorts by time (millisecond resolution) and never collides (random suffix):
 * `20261124-204512-123-a1b2c3`. Pure given the env.
 */
export function createRunId(env: RunEnv): string {
  const iso = env.now().toISOString(); // 2026-11-24T20:45:12.123Z
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}-${iso.slice(20, 23)}`;
  return `${stamp}-${env.randomHex(3)}`;
}
