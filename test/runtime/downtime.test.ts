import t from 'tap';
import { downtimeSince } from '../../engine/runtime/steps/advance.js';
import type { TimelineEvent } from '../../engine/generated/event.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 9, 0, s)).toISOString();
const ev = (seq: number, type: string, s: number) => ({ seq, ts: at(s), type, step: 's', milestone: 1, attempt: 1 }) as unknown as TimelineEvent;

t.test('the time no engine ran the run is the gap before each resume after the milestone started', async (t) => {
  // A milestone started at 0 s, interrupted at 2 s (the session's last event), resumed at 32 s,
  // interrupted again at 40 s and resumed at 100 s: 90 s without an engine.
  const events = [ev(1, 'run.started', 0), ev(2, 'milestone.started', 0), ev(3, 'worker.started', 1), ev(4, 'run.finished', 2), ev(5, 'run.resumed', 32), ev(6, 'worker.started', 33), ev(7, 'run.finished', 40), ev(8, 'run.resumed', 100), ev(9, 'worker.finished', 101)];
  t.equal(downtimeSince(events, events[1]!), 90_000);
  t.equal(downtimeSince(events, events[5]!), 60_000, 'only the resumes after the event asked from');
  t.equal(downtimeSince(events.slice(0, 4), events[1]!), 0, 'no resume: no downtime');
  // A resume before the milestone began is not its time.
  const earlier = [ev(1, 'run.started', 0), ev(2, 'run.finished', 1), ev(3, 'run.resumed', 50), ev(4, 'milestone.started', 51)];
  t.equal(downtimeSince(earlier, earlier[3]!), 0);
  // A timeline whose seq does not line up with its order (a gap) counts no gap it cannot place.
  const gapped = [ev(1, 'milestone.started', 0), ev(3, 'run.resumed', 60)];
  t.equal(downtimeSince(gapped, gapped[0]!), 0);
});
