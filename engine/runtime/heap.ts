/**
 * How a run keeps its memory down. Its live data is small (the run's events and records, a
 * few MiB); what made its resident size grow was V8's room for garbage. Impure (V8 flags and
 * collections for the whole process).
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Keeps V8's young generation at the size it starts with (two 1 MiB semi-spaces). A run
 * allocates mostly what one step uses and drops; by default V8 doubles the young generation
 * up to 2 × 16 MiB under such a load, resident memory the run never needs: at 40 milestones
 * the engine's peak RSS was 107 MiB with it and 79 MiB without, its CPU the same
 * (bench/compare.mjs). Growth factor 1 is read each time V8 would grow the space, so setting
 * it after start-up works; the maximum size is not.
 */
export function keepYoungGenerationSmall(): void {
  setFlag('--semi-space-growth-factor=1', '--semi-space-growth-factor=2');
}

/** Heap in use past which the end of a step collects the old generation. */
const COLLECT_ABOVE_BYTES = 24 * 1024 * 1024;
/** How much the heap may grow past what the last collection left before the next one. */
const COLLECT_GROWTH_BYTES = 16 * 1024 * 1024;

let collect: (() => void) | null | undefined;
/** What the heap held after the last collection made here (0: none made yet). */
let keptAfterCollect = 0;

/**
 * A full collection when the heap has grown past `collectAbove` (below), at the end of a step.
 * V8 collects the old generation when it is idle (its memory reducer) or near its limit; a run
 * with real workers idles through every call, but one whose steps follow each other without
 * a pause never does, and its heap then grew with garbage to the end (112 MiB peak RSS at 200
 * instant milestones, the young generation kept small). About one collection per 15 such
 * milestones keeps it under 90 MiB (88 at 200); the CPU it costs did not show beside the
 * run's. `gc` comes from a context made after `--expose-gc` was set, so the program's own
 * global gets none.
 */
export function collectWhenGrown(): void {
  if (v8.getHeapStatistics().used_heap_size <= collectAbove(keptAfterCollect)) return;
  if (collect === undefined) {
    // Already on when node was started with it: then nothing is changed, nothing to put back.
    if (typeof (globalThis as { gc?: unknown }).gc !== 'function') setFlag('--expose-gc', '--no-expose-gc');
    const fn: unknown = vm.runInNewContext('typeof gc === "function" ? gc : null');
    collect = typeof fn === 'function' ? (fn as () => void) : null;
  }
  if (collect === null) return;
  collect();
  keptAfterCollect = v8.getHeapStatistics().used_heap_size;
}

/**
 * The heap in use past which a step's end collects, given what the last collection left
 * (`kept`). A run's own process keeps a few MiB alive, so its threshold is COLLECT_ABOVE_BYTES.
 * A process that holds much more than a run (one driving runs in its own heap, as the tests
 * do: hundreds of MiB of their own) collected after every step, each time the whole heap, for
 * nothing: about a quarter of such a test's CPU. There, only growth past what it keeps
 * counts. Pure.
 */
export function collectAbove(kept: number): number {
  return Math.max(COLLECT_ABOVE_BYTES, kept + COLLECT_GROWTH_BYTES);
}

/** What each flag this process changed was when it started (V8's default), by the flag as set. */
const changed = new Map<string, string>();

function setFlag(flag: string, before: string): void {
  v8.setFlagsFromString(flag);
  if (!changed.has(flag)) changed.set(flag, before);
}

/**
 * Puts back the V8 flags a run changed, before the launcher makes a code cache at the end of
 * the command (bin/engine.js). V8 stamps a cache with a hash of the flags in force when it is
 * made and rejects it, silently, under any others: a cache made after a run was refused by
 * every later start, which then compiled the whole bundle again, and was never written anew
 * (a rejected cache is left alone). Impure (V8 flags).
 */
export function restoreStartFlags(): void {
  for (const before of changed.values()) v8.setFlagsFromString(before);
  changed.clear();
}
