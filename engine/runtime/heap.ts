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
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/** Heap in use past which the end of a step collects the old generation. */
const COLLECT_ABOVE_BYTES = 24 * 1024 * 1024;

let collect: (() => void) | null | undefined;

/**
 * A full collection when the heap has grown past COLLECT_ABOVE_BYTES, at the end of a step.
 * V8 collects the old generation when it is idle (its memory reducer) or near its limit; a run
 * with real workers idles through every call, but one whose steps follow each other without
 * a pause never does, and its heap then grew with garbage to the end (112 MiB peak RSS at 200
 * instant milestones, the young generation kept small). About one collection per 15 such
 * milestones keeps it under 90 MiB (88 at 200); the CPU it costs did not show beside the
 * run's. `gc` comes from a context made after `--expose-gc` was set, so the program's own
 * global gets none.
 */
export function collectWhenGrown(): void {
  if (v8.getHeapStatistics().used_heap_size <= COLLECT_ABOVE_BYTES) return;
  if (collect === undefined) {
    v8.setFlagsFromString('--expose-gc');
    const fn: unknown = vm.runInNewContext('typeof gc === "function" ? gc : null');
    collect = typeof fn === 'function' ? (fn as () => void) : null;
  }
  collect?.();
}
