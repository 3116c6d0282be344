import t from 'tap';
import { deriveCounters, runningCounters } from '../../engine/runtime/counters.js';
import type { TimelineEvent } from '../../engine/generated/event.js';

const base = { ts: '2026-01-01T00:00:00.000Z', attempt: 1 };
const ev = (seq: number, e: Record<string, unknown>) => ({ seq, ...base, step: 's', milestone: null, ...e }) as unknown as TimelineEvent;

const sample = () => [
    ev(1, { type: 'step.started', kind: 'worker' }),
    ev(2, { type: 'worker.started', milestone: null }),
    ev(3, { type: 'worker.finished', cost_usd: 0.25 }),
    ev(4, { type: 'step.started', kind: 'advance' }),
    ev(5, { type: 'step.started', kind: 'worker', milestone: 1 }),
    ev(6, { type: 'worker.started', milestone: 1 }),
    ev(7, { type: 'parse.failed', milestone: 1 }),
    ev(8, { type: 'worker.started', milestone: 1 }),
    ev(9, { type: 'worker.finished', cost_usd: null }),
    ev(10, { type: 'run.resumed', forced: true, hand_edits: ['a'] }),
    ev(11, { type: 'worker.finished', cost_usd: 0.1 }),
    ev(12, { type: 'worker.finished', cost_usd: 0.2 }),
  ];

t.test('counters come from what the timeline says ran', async (t) => {
  const events = sample().slice(0, 10);
  // Three calls started (the third's end is after the resume): a call counts when it starts.
  t.same(deriveCounters(events, 1), { ticks: 2, worker_calls: 3, milestone_worker_calls: 2, parse_failures: 1, human_interventions: 1, cost_usd: 0.25 });
  t.equal(deriveCounters(events, 2).milestone_worker_calls, 0, 'a new milestone starts at zero calls');
});

t.test('runningCounters: after each appended event the same counters as deriveCounters over the whole prefix', async (t) => {
  const events = sample();
  const grown: TimelineEvent[] = [];
  for (const e of events) {
    grown.push(e);
    for (const m of [0, 1, 2]) t.strictSame(runningCounters(grown, m), deriveCounters(grown, m), `after seq ${e.seq}, milestone ${m}`);
  }
  t.equal(runningCounters(grown, 0).cost_usd, 0.55, 'costs summed in timeline order, rounded at the end');
  // A shorter array under the same identity starts over instead of keeping counts it no longer has.
  grown.length = 3;
  t.strictSame(runningCounters(grown, 1), deriveCounters(grown, 1));
});
