import t from 'tap';
import { fsyncSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TimelineWriter, readTimeline } from '../../engine/store/timeline.js';

// An fsync can fail after the write it follows was taken whole (EIO from a disk that lost the
// pages, a network file system that lost its server). The writer must then count nothing of
// the append: the file is cut back to what it held, the events are not numbered, and the next
// append follows the last line that counts (before, it repeated the failed line's seq). No file
// system here can be made to fail an fsync at will, so the writer's fsync is given one that
// does, through its file-operations seam; every other call is the system's own.

const now = () => new Date('2026-01-01T00:00:00Z');
const warning = (message: string) => ({ type: 'warning', step: null, milestone: null, attempt: null, message }) as never;
const durable = (step: string) => ({ type: 'step.finished', step, milestone: null, attempt: null, kind: 'worker', outcome: 'ok', patch: {}, tree: null, duration_ms: 1 }) as never;

t.test('an fsync that fails after a whole write: the file is cut back, nothing is numbered, the next append follows', async (t) => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'engine-fsync-')), 'timeline.jsonl');
  let failNext = false;
  const fsyncs: number[] = [];
  const w = new TimelineWriter(file, now, undefined, undefined, {
    fsync(fd) {
      fsyncs.push(fd);
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO', syscall: 'fsync', errno: -5 });
      }
      fsyncSync(fd);
    },
  });
  w.append(warning('first'), durable('a'));
  t.equal(fsyncs.length, 1, 'a durable event is fsynced through the seam');
  const before = { text: readFileSync(file, 'utf8'), digest: w.digest, seq: w.lastSeq };
  failNext = true;
  t.throws(() => w.append(warning('second'), durable('b')), { code: 'EIO', syscall: 'fsync' }, 'the failed fsync is thrown');
  t.equal(fsyncs.length, 2, 'the fsync was tried: the write before it was whole');
  t.equal(readFileSync(file, 'utf8'), before.text, 'the file is cut back to what it held');
  t.same(w.digest, before.digest, 'the digest state.json takes is unchanged');
  t.equal(w.lastSeq, before.seq, 'the failed events are not numbered');
  const next = w.append(warning('third'), durable('c'));
  t.same(next.map((e) => e.seq), [3, 4], 'the next append takes the seqs the failed one gave back');
  w.close();
  t.same(readTimeline(file).map((e) => [e.seq, e.type]), [[1, 'warning'], [2, 'step.finished'], [3, 'warning'], [4, 'step.finished']], 'the file holds 1..4 without a gap or a repeat');
  t.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 4, 'no line of the failed append is left');
});
