import t from 'tap';
import { computeKpis, computePooledKpis } from '../../engine/kpi/compute.js';
import { collectSamples } from '../../engine/kpi/collect-samples.js';
import { mergeSamples } from '../../engine/kpi/merge-samples.js';
import { summarizeSamples } from '../../engine/kpi/summarize-samples.js';
import { timeline } from './helpers/make-events.js';

// Run A: three milestones of 10, 20, 30 s with 1, 2, 3 calls; one parse failure; a cost.
function runA() {
  const b = timeline().plan([1, 2, 3].map((i) => ({ id: `a${i}`, goal: `a ${i}` })));
  b.milestone(1, { id: 'a1', ms: 10_000, calls: 1, cost: 0.5, verify: [{ tier: 'tier0', ms: 1000 }] });
  b.milestone(2, { id: 'a2', ms: 20_000, calls: 2, parseFailures: 1 });
  b.milestone(3, { id: 'a3', ms: 30_000, calls: 3, reviewSkipped: 'small_green' });
  return b.events;
}

// Run B: nine milestones of 40..110 s and one of 400 s; two calls each but nine in the last.
function runB() {
  const secs = [40, 50, 60, 70, 80, 90, 100, 110, 400];
  const b = timeline().plan(secs.map((_, i) => ({ id: `b${i + 1}`, goal: `b ${i + 1}` })));
  secs.forEach((s, i) => b.milestone(i + 1, { id: `b${i + 1}`, ms: s * 1000, calls: i === 8 ? 9 : 2, reviewSkipped: 'small_green', verify: [{ tier: 'tier0', ms: 3000 }] }));
  return b.events;
}

t.test('each run on its own', async (t) => {
  const a = computeKpis(runA());
  t.strictSame(a.milestone_s, { median: 20, p90: 30, max: 30, count: 3 });
  t.equal(a.parse_failures_per_100, 16.667, '1 of 6 calls');
  const b = computeKpis(runB());
  t.strictSame(b.milestone_s, { median: 80, p90: 400, max: 400, count: 9 });
  t.strictSame(b.calls_per_milestone, { median: 2, p90: 9, max: 9, count: 9 });
});

t.test('across runs: medians and p90 over the pooled milestones, rates from pooled counts', async (t) => {
  const k = computePooledKpis([runA(), runB()]);
  // Pooled seconds: 10 20 30 40 50 60 70 80 90 100 110 400 → median (60+70)/2, p90 = 11th of 12.
  t.strictSame(k.milestone_s, { median: 65, p90: 110, max: 400, count: 12 });
  // Pooled calls: 1 2 3 and 2×8, 9 → sorted 1 2 2 2 2 2 2 2 2 2 3 9.
  t.strictSame(k.calls_per_milestone, { median: 2, p90: 3, max: 9, count: 12 });
  t.strictSame(k.verify_s, { tier0: { median: 3, p90: 3, max: 3, count: 10 } });
  t.equal(k.milestones, 12);
  t.equal(k.milestones_done, 12);
  t.equal(k.worker_calls, 6 + 25);
  t.equal(k.parse_failures_per_100, 3.226, '1 of 31 calls, not the mean of 16.667 and 0');
  t.equal(k.retry_rate, 0.083, '1 of 12 milestones');
  t.strictSame(k.review_skips, { small_green: 10 });
  t.equal(k.cost_usd, 0.5, 'a run without reported cost adds nothing');
  t.strictSame(k.tokens, { input: 3100, output: 310 });
});

t.test('merging keeps run order and sums; no run means no data', async (t) => {
  const merged = mergeSamples([collectSamples(runA()), collectSamples(runB())]);
  t.strictSame(merged.milestone_ms.slice(0, 4), [10_000, 20_000, 30_000, 40_000]);
  t.equal(merged.milestones_started, 12);
  const none = summarizeSamples(mergeSamples([]));
  t.strictSame(none.milestone_s, { median: null, p90: null, max: null, count: 0 });
  t.equal(none.cost_usd, null);
  t.equal(none.retry_rate, null);
  t.equal(computePooledKpis([runB(), []]).milestone_s.median, 80, 'an empty timeline adds no samples');
});
