import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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

t.test('the digest is the length and sha256 of exactly what the writer wrote, across writers', async (t) => {
  const { createHash } = await import('node:crypto');
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'tl-')), 'timeline.jsonl');
  const sha = (text: string) => 'sha256:' + createHash('sha256').update(text).digest('hex');
  const w = new TimelineWriter(file, now);
  t.same(w.digest, { bytes: 0, sha256: sha('') });
  w.append(e('warning'));
  w.append(e('warning'), e('warning'));
  const text = readFileSync(file, 'utf8');
  t.same(w.digest, { bytes: Buffer.byteLength(text), sha256: sha(text) });
  t.same(w.digest, w.digest, 'reading the digest does not consume it');
  const kept = w.digest;
  kept.sha256 = 'changed by a caller';
  t.same(w.digest, { bytes: Buffer.byteLength(text), sha256: sha(text) }, "a caller's change to a digest does not reach the next one");
  w.append(e('warning'));
  const more = readFileSync(file, 'utf8');
  t.same(w.digest, { bytes: Buffer.byteLength(more), sha256: sha(more) }, 'an append after a read gives a new digest');
  w.close();
  // A writer opened on a file somebody appended to hashes what it finds: the check of the
  // file against state.json happens before (engine/runtime/check-timeline.ts).
  writeFileSync(file, text + '{"seq":4,"type":"run.finished"}\n');
  const w2 = new TimelineWriter(file, now);
  t.not(w2.digest.sha256, sha(text), 'a new writer hashes the file as it finds it');
  w2.close();
});

t.test('a timeline that is a link, or a link to nothing, is never appended through', async (t) => {
  // Without the OS sandbox a worker can put a link at timeline.jsonl between the engine's
  // check and its open: appended through, the events went into the file it led to, and a
  // link to nothing made that file (O_CREAT follows a link).
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-timeline-link-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const target = path.join(dir, 'outside.txt');
  const file = path.join(dir, 'timeline.jsonl');
  symlinkSync(target, file);
  t.throws(() => new TimelineWriter(file, () => new Date(0)), { code: 'ELOOP' }, 'a link to nothing: refused');
  t.notOk(existsSync(target), 'nothing made where it leads');
  writeFileSync(target, 'mine\n');
  t.throws(() => new TimelineWriter(file, () => new Date(0)), { code: 'ELOOP' }, 'a link to a file: refused');
  t.equal(readFileSync(target, 'utf8'), 'mine\n', 'the file it leads to is as it was');
});
