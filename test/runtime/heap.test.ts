import t from 'tap';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import { collectAbove, collectWhenGrown } from '../../engine/runtime/heap.js';

const MiB = 1024 * 1024;

t.test('collectAbove: 24 MiB for a run that keeps little; growth of 16 MiB past what a heap keeps', async (t) => {
  t.equal(collectAbove(0), 24 * MiB, 'before any collection');
  t.equal(collectAbove(6 * MiB), 24 * MiB, "a run's own few MiB");
  t.equal(collectAbove(8 * MiB), 24 * MiB);
  t.equal(collectAbove(10 * MiB), 26 * MiB);
  t.equal(collectAbove(200 * MiB), 216 * MiB, 'a heap of its own much larger than a run');
});

/** Full collections that end while `fn` runs, and a little after (the observer is told late). */
async function majorCollections(fn: () => void): Promise<number> {
  const seen: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  fn();
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return seen.filter((e) => (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR).length;
}

t.test('collectWhenGrown: a heap that keeps more than a run is collected once, not at every step', async (t) => {
  // Live data well past 24 MiB, as a test process that drives runs in its own heap holds.
  const kept: number[][] = [];
  const target = v8.getHeapStatistics().used_heap_size + 48 * MiB;
  while (v8.getHeapStatistics().used_heap_size < target) kept.push(new Array(64 * 1024).fill(kept.length));
  t.ok((await majorCollections(collectWhenGrown)) >= 1, 'past 24 MiB: collected');
  t.equal(await majorCollections(() => {
    for (let i = 0; i < 10; i++) collectWhenGrown();
  }), 0, 'ten step ends later, nothing grown: no collection');
  // Growth past what it keeps is collectAbove's (above); V8 may collect such garbage itself first.
  t.ok(kept.length > 0);
});
