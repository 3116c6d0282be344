import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TimelineWriter, readTimeline } from '../../engine/store/timeline.js';
import { replaceFile } from '../../engine/store/atomic.js';
import { mountSmall } from '../helpers/mount-small.js';

// A nearly full file system takes part of a write without an error, and refuses the rest at
// the next. The timeline's writer counted the whole chunk as written: state.json then claimed
// bytes the timeline lacked, and resume refused the run for good ("timeline.jsonl is shorter
// than the bytes the engine had written"), leaving it `running`.

const now = () => new Date('2026-01-01T00:00:00Z');
const event = (message: string) => ({ type: 'warning', step: null, milestone: null, attempt: null, message }) as never;

const small = mountSmall('64k', 'engine-short-write-');
t.teardown(() => {
  if ('dir' in small) {
    spawnSync('umount', ['-l', small.dir]);
    rmSync(small.dir, { recursive: true, force: true });
  }
});

/** Fills the file system page by page until it takes no more: what is left is the free end of pages files already hold. */
function fillAllBut(dir: string): void {
  for (let i = 0; ; i++) {
    const r = spawnSync('dd', ['if=/dev/zero', `of=${path.join(dir, `fill-${i}`)}`, 'bs=4096', 'count=1'], { encoding: 'utf8' });
    if (r.status !== 0 || statSync(path.join(dir, `fill-${i}`)).size < 4096) break;
  }
}

t.test('an append the file system takes only part of: nothing of it stays, nothing of it counts', { skip: 'skip' in small ? small.skip : false }, async (t) => {
  if ('skip' in small) return;
  const dir = mkdtempSync(path.join(small.dir, 'run-'));
  const file = path.join(dir, 'timeline.jsonl');
  const w = new TimelineWriter(file, now);
  w.append(event('first'));
  const before = { text: readFileSync(file, 'utf8'), digest: w.digest, seq: w.lastSeq };
  fillAllBut(small.dir);
  // Room left: the rest of the timeline's one page (about 4 KB), not 20 KB.
  t.throws(() => w.append(event('x'.repeat(20_000))), { code: 'ENOSPC' }, 'the append fails');
  t.equal(readFileSync(file, 'utf8'), before.text, 'the file holds what it held: no torn line');
  t.same(w.digest, before.digest, 'the digest state.json takes is unchanged');
  t.equal(w.lastSeq, before.seq, 'the failed events are not numbered');
  for (const f of readdirSync(small.dir)) if (f.startsWith('fill-')) rmSync(path.join(small.dir, f));
  w.append(event('after'));
  w.close();
  t.same(readTimeline(file).map((e) => [e.seq, (e as { message: string }).message]), [[1, 'first'], [2, 'after']], 'once there is room, the next event follows the last written');
});

t.test('a record replaced on a full file system: the old one stays whole, no temp file is left', { skip: 'skip' in small ? small.skip : false }, async (t) => {
  if ('skip' in small) return;
  const dir = mkdtempSync(path.join(small.dir, 'rec-'));
  const file = path.join(dir, 'summary.md');
  writeFileSync(file, 'old\n');
  fillAllBut(small.dir);
  t.throws(() => replaceFile(file, 'y'.repeat(20_000)), { code: 'ENOSPC' });
  t.equal(readFileSync(file, 'utf8'), 'old\n', 'the old record, whole');
  t.same(readdirSync(dir), ['summary.md'], 'no .summary.md.<pid>.tmp beside it');
  for (const f of readdirSync(small.dir)) if (f.startsWith('fill-')) rmSync(path.join(small.dir, f));
  t.ok(existsSync(file));
});
