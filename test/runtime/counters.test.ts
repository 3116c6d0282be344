import t from 'tap';
import { deriveCounters } from '../../engine/runtime/counters.js';
import type { TimelineEvent } from '../../engine/generated/event.js';

const base = { ts: '2026-01-01T00:00:00.000Z', attempt: 1 };
const ev = (seq: number, e: Record<string, unknown>) => ({ seq, ...base, step: 's', milestone: null, ...e }) as unknown as TimelineEvent;

t.test('counters come from what the timeline says ran', async (t) => {
  const events = [
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
  ];
  t.same(deriveCounters(events, 1), { ticks: 2, worker_calls: 2, milestone_worker_calls: 2, parse_failures: 1, human_interventions: 1, cost_usd: 0.25 });
  t.equal(deriveCounters(events, 2).milestone_worker_calls, 0, 'a new milestone starts at zero calls');
});
