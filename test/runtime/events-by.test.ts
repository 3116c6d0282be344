import t from 'tap';
import { eventsOfMilestone, eventsOfType } from '../../engine/runtime/events-by.js';
import type { TimelineEvent } from '../../engine/generated/event.js';

const TYPES = ['step.started', 'worker.finished', 'verify.finished', 'milestone.started', 'kpi.decision', 'command.finished'] as const;

/** The i-th event of a made-up run: types in turn, milestones 1.. with some outside any. */
const ev = (i: number) =>
  ({ seq: i + 1, ts: '2026-01-01T00:00:00.000Z', type: TYPES[i % TYPES.length], step: 's', milestone: i % 7 === 0 ? null : 1 + Math.floor(i / 13), attempt: 1 }) as unknown as TimelineEvent;

t.test('after each appended event, the same lists as a scan of the whole timeline', async (t) => {
  const grown: TimelineEvent[] = [];
  let mismatches = 0;
  for (let i = 0; i < 300; i++) {
    grown.push(ev(i));
    for (const type of TYPES) if (JSON.stringify(eventsOfType(grown, type)) !== JSON.stringify(grown.filter((e) => e.type === type))) mismatches++;
    for (const m of [1, 5, 23, 99]) if (JSON.stringify(eventsOfMilestone(grown, m)) !== JSON.stringify(grown.filter((e) => e.milestone === m))) mismatches++;
  }
  t.equal(mismatches, 0, '300 prefixes × 10 questions');
  t.equal(eventsOfType(grown, 'verify.finished').length, 50);
  t.strictSame(eventsOfMilestone(grown, 1000), [], 'a milestone without events');
  t.strictSame(eventsOfType([], 'run.finished'), [], 'a type without events');
  // A shorter array under the same identity starts over instead of keeping events it no longer has.
  grown.length = 20;
  t.strictSame(eventsOfType(grown, 'step.started'), grown.filter((e) => e.type === 'step.started'));
  t.strictSame(eventsOfMilestone(grown, 1), grown.filter((e) => e.milestone === 1));
});

t.test('each event is read once however often the growing timeline is asked: no question costs more as the run goes', async (t) => {
  let reads = 0;
  const counted = (i: number): TimelineEvent => {
    const e = ev(i) as unknown as Record<string, unknown>;
    const type = e.type;
    Object.defineProperty(e, 'type', {
      enumerable: true,
      get: () => {
        reads++;
        return type;
      },
    });
    return e as unknown as TimelineEvent;
  };
  const grown: TimelineEvent[] = [];
  // As a run asks: after every few events, the verifications so far, this milestone's events, the KPI decisions.
  for (let i = 0; i < 2000; i++) {
    grown.push(counted(i));
    if (i % 5 === 0) {
      eventsOfType(grown, 'verify.finished');
      eventsOfType(grown, 'kpi.decision');
      eventsOfMilestone(grown, 1 + Math.floor(i / 13));
    }
  }
  eventsOfType(grown, 'run.finished');
  // A scan per question would have read about 400 × 3 × 1,000 = 1.2 million.
  t.equal(reads, 2000, 'one read of each event\'s type');
});
