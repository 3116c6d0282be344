import t from 'tap';
import { salvageTimeline } from '../../engine/store/salvage-timeline.js';

const ok = (seq: number, type = 'warning') => JSON.stringify({ seq, type });
const isEvent = (v: unknown) => typeof (v as { type?: unknown }).type === 'string' && (v as { type: string }).type !== 'bogus';

t.test('a whole timeline: every event, no note', async (t) => {
  t.strictSame(salvageTimeline(`${ok(1)}\n${ok(2)}\n`, isEvent), { events: [{ seq: 1, type: 'warning' }, { seq: 2, type: 'warning' }], notes: [] });
});

t.test('a last line cut short by a crash is ignored without a note, as the engine does', async (t) => {
  const r = salvageTimeline(`${ok(1)}\n{"seq":2,"ty`, isEvent);
  t.equal(r.events.length, 1);
  t.strictSame(r.notes, []);
});

t.test('a broken or invalid line inside is left out and named', async (t) => {
  const r = salvageTimeline(`${ok(1)}\nnot json\n${ok(3, 'bogus')}\n[1]\n${ok(5)}\n`, isEvent);
  t.strictSame(r.events.map((e) => e.seq), [1, 5]);
  t.strictSame(r.notes, ['timeline.jsonl: left out line 2 (not JSON), line 3 (not a valid "bogus" event), line 4 (not a timeline event); the KPIs of this run cover the other 2 events']);
});

t.test('many bad lines: five named, the rest counted', async (t) => {
  const r = salvageTimeline(Array.from({ length: 8 }, () => 'x').join('\n') + '\n', isEvent);
  t.match(r.notes[0], /line 5 \(not JSON\), 3 more;/);
});

// seq is 1, 2, … without gaps, continued across resumes (docs/runs.md): a line whose seq repeats
// or goes back was not appended by the engine. A worker without the OS sandbox copied the
// `parse.failed` and `worker.finished` lines of a run and the report counted each copy.
t.test('a line whose seq repeats or goes back is left out and named', async (t) => {
  const r = salvageTimeline(`${ok(1)}\n${ok(2, 'worker.finished')}\n${ok(2, 'worker.finished')}\n${ok(3)}\n${ok(1, 'parse.failed')}\n${ok(4)}\n`, isEvent);
  t.strictSame(r.events.map((e) => e.seq), [1, 2, 3, 4]);
  t.strictSame(r.notes, ['timeline.jsonl: left out line 3 (seq 2 repeats or goes back), line 5 (seq 1 repeats or goes back); the KPIs of this run cover the other 4 events']);
});

t.test('a gap left by a line that was left out is no reason to leave out the next', async (t) => {
  const r = salvageTimeline(`${ok(1)}\nnot json\n${ok(3)}\n`, isEvent);
  t.strictSame(r.events.map((e) => e.seq), [1, 3]);
});
