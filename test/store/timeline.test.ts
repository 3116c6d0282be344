import t from 'tap';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TimelineWriter, readTimeline, parseTimeline } from '../../engine/store/timeline.js';

const now = () => new Date('2026-01-01T00:00:00Z');
const e = (type: string) => ({ type, step: null, milestone: null, attempt: null, message: type }) as never;

t.test('seq continues after the last line and a torn tail is cut off', async (t) => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'tl-')), 'timeline.jsonl');
  const w = new TimelineWriter(file, now);
  w.append(e('warning'), e('warning'));
  w.close();
  writeFileSync(file, readFileSync(file, 'utf8') + '{"seq":3,"ts":"2026-01-01T00:00:00.000Z","type":"warn');
  t.same(readTimeline(file).map((x) => x.seq), [1, 2], 'a torn last line is not an event');
  const w2 = new TimelineWriter(file, now);
  t.equal(w2.lastSeq, 2);
  w2.append(e('warning'));
  w2.close();
  t.same(readTimeline(file).map((x) => x.seq), [1, 2, 3], 'the next event gets its own line');
});

t.test('a broken line that is not the last is an error, not silently skipped', async (t) => {
  t.throws(() => parseTimeline('{"seq":1}\nnot json\n{"seq":2}\n'), /timeline line 2 is not JSON/);
});
