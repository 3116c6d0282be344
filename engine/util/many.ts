/**
 * `Math.max(...xs)`, `Math.min(...xs)` and `out.push(...xs)` pass every element as an
 * argument: past about 125,000 V8 throws (a stack overflow), and how many there are is often a
 * worker's to decide (the files it changes, the milestones it plans, the events it prints).
 * These take any number. Pure (pushAll changes `out` only).
 */

/** The largest of `xs`, or `empty` when there is none. */
export function maxOf(xs: Iterable<number>, empty = -Infinity): number {
  let m = -Infinity;
  let any = false;
  for (const x of xs) {
    any = true;
    if (x > m || Number.isNaN(x)) m = x;
  }
  return any ? m : empty;
}

/** The smallest of `xs`, or `empty` when there is none. */
export function minOf(xs: Iterable<number>, empty = Infinity): number {
  let m = Infinity;
  let any = false;
  for (const x of xs) {
    any = true;
    if (x < m || Number.isNaN(x)) m = x;
  }
  return any ? m : empty;
}

/** Appends every element of `xs` to `out`; returns `out`. */
export function pushAll<T>(out: T[], xs: Iterable<T>): T[] {
  for (const x of xs) out.push(x);
  return out;
}
