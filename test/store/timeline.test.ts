import t, { type Test } from 'tap';
import { constants, existsSync, linkSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { TimelineWriter, readTimeline, parseTimeline } from '../../engine/store/timeline.js';
import { wrapFs } from '../helpers/wrap-fs.js';

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

/**
 * Calls `before(flags)` before every open(2) of `file` the code under test makes, by wrapping
 * fs.openSync (the engine's named import follows it: syncBuiltinESMExports). A worker's process
 * left running acts the same between two of the engine's calls; here it acts every time.
 */
function beforeEachOpen(t: Test, file: string, before: (flags: number, count: number) => void): void {
  let count = 0;
  wrapFs(t, 'openSync', (original) =>
    ((p: string, flags: number, mode?: number) => {
      if (p === file) before(typeof flags === 'number' ? flags : 0, ++count);
      return original(p, flags, mode);
    }) as typeof original,
  );
}

t.test('a hard link put at the timeline just before the writer opens it to append is refused, the file it shares untouched', async (t) => {
  // The writer read the timeline, then opened it again by name to append: a worker's process
  // left running could link a file of the user's (on the same file system) there in between,
  // and the events were appended to it.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-timeline-hard-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const secret = path.join(dir, 'id_rsa');
  writeFileSync(secret, 'PRIVATE KEY, no newline');
  const file = path.join(dir, 'timeline.jsonl');
  const w = new TimelineWriter(file, now);
  w.append(e('warning'));
  w.close();
  await beforeEachOpen(t, file, (flags) => {
    if (!(flags & constants.O_APPEND)) return;
    rmSync(file);
    linkSync(secret, file);
  });
  let code: string | undefined;
  try {
    const w2 = new TimelineWriter(file, now);
    w2.append(e('warning'));
    w2.close();
  } catch (error) {
    code = (error as NodeJS.ErrnoException).code;
  }
  t.equal(code, 'EMLINK', 'refused');
  t.equal(readFileSync(secret, 'utf8'), 'PRIVATE KEY, no newline', 'nothing appended to it, nothing cut off');
});

t.test('the writer appends to the very file it read: one swapped in after its first open is never read, cut or appended to', async (t) => {
  // Between the writer's read and its open to append (and its cut of a torn tail, by name), a
  // worker's process could rename another file over the timeline: the writer hashed one file and
  // appended to the other, and cut that other one's last line.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-timeline-swap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'timeline.jsonl');
  const w = new TimelineWriter(file, now);
  w.append(e('warning'), e('warning'));
  w.close();
  writeFileSync(file, readFileSync(file, 'utf8') + '{"seq":3,"ts":"2026-01-01T00:00:00.000Z","type":"warn');
  const other = path.join(dir, 'other.jsonl');
  const swapped: string[] = [];
  await beforeEachOpen(t, file, (_flags, count) => {
    if (count < 2) return;
    const text = `{"seq":${40 + count},"type":"swapped in"}\n{"torn`;
    writeFileSync(other, text);
    renameSync(other, file);
    swapped.push(text);
  });
  const { createHash } = await import('node:crypto');
  const w2 = new TimelineWriter(file, now);
  w2.append(e('warning'));
  w2.close();
  t.same(swapped, [], 'opened once');
  const text = readFileSync(file, 'utf8');
  t.same(parseTimeline(text).map((x) => x.seq), [1, 2, 3], 'the torn tail cut off the file read, the next event numbered after it');
  t.same(w2.digest, { bytes: Buffer.byteLength(text), sha256: 'sha256:' + createHash('sha256').update(text).digest('hex') }, 'what it hashed is what the file holds');
});

t.test('a torn last line that is whole JSON but lacks its newline is cut off and its seq given again: no gap', async (t) => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'tl-')), 'timeline.jsonl');
  const w = new TimelineWriter(file, now);
  w.append(e('warning'), e('warning'));
  w.close();
  writeFileSync(file, readFileSync(file, 'utf8') + '{"seq":3,"ts":"2026-01-01T00:00:00.000Z","type":"warning"}');
  t.same(readTimeline(file).map((x) => x.seq), [1, 2], 'a reader does not count it either (resume builds on what it reads)');
  const w2 = new TimelineWriter(file, now);
  t.equal(w2.lastSeq, 2, 'a line never acknowledged is not counted');
  w2.append(e('warning'));
  w2.close();
  t.same(readTimeline(file).map((x) => x.seq), [1, 2, 3], '1..n without gaps');
});

t.test('a timeline that is a hard link, or no regular file, is refused before anything is read or cut', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-timeline-nlink-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const secret = path.join(dir, 'id_rsa');
  writeFileSync(secret, 'PRIVATE KEY, no newline');
  const file = path.join(dir, 'timeline.jsonl');
  linkSync(secret, file);
  t.throws(() => new TimelineWriter(file, now), { code: 'EMLINK' });
  t.equal(readFileSync(secret, 'utf8'), 'PRIVATE KEY, no newline', 'the shared file untouched');
  rmSync(file);
  execFileSync('mkfifo', [file]);
  t.throws(() => new TimelineWriter(file, now), { code: 'ENOTREG' }, 'a FIFO: refused, not waited on');
});

t.test('restore opens what it put back once, checked: a file swapped in after its rename is neither appended to nor taken for it', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-timeline-restore-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const secret = path.join(dir, 'id_rsa');
  writeFileSync(secret, 'PRIVATE KEY\n');
  const file = path.join(dir, 'timeline.jsonl');
  const cases: [string, () => void, string][] = [
    ['a hard link to a file of the user', () => { rmSync(file); linkSync(secret, file); }, 'EMLINK'],
    ['another file renamed over it', () => { writeFileSync(path.join(dir, 'other'), '{"seq":1,"type":"forged"}\n'); renameSync(path.join(dir, 'other'), file); }, 'ESTALE'],
  ];
  let swap: (() => void) | null = null;
  await beforeEachOpen(t, file, () => {
    swap?.();
    swap = null;
  });
  for (const [name, swapIn, code] of cases) {
    rmSync(file, { force: true });
    const w = new TimelineWriter(file, now);
    w.append(e('warning'));
    writeFileSync(file, 'changed by a worker\n');
    swap = swapIn;
    t.throws(() => w.restore(), { code }, `${name}: refused`);
    const there = readFileSync(file, 'utf8');
    t.throws(() => w.append(e('warning')), `${name}: nothing appended after`);
    t.equal(readFileSync(file, 'utf8'), there, `${name}: the file there as it was`);
    w.close();
    t.equal(readFileSync(secret, 'utf8'), 'PRIVATE KEY\n', `${name}: the user's file untouched`);
  }
});

t.test("a hard link whose name here is removed between the writer's open and its fstat is refused, the user's file untouched", async (t) => {
  // Counted after that removal, the file has one name, the user's: the writer cut its last
  // line and appended to it.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-timeline-unlinked-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const secret = path.join(dir, 'id_rsa');
  writeFileSync(secret, 'PRIVATE KEY\nno newline');
  const file = path.join(dir, 'timeline.jsonl');
  linkSync(secret, file);
  wrapFs(t, 'fstatSync', (original) =>
    ((fd: number, options?: never) => {
      rmSync(file, { force: true });
      return original(fd, options);
    }) as typeof original,
  );
  let code: string | undefined;
  try {
    const w = new TimelineWriter(file, now);
    w.append(e('warning'));
    w.close();
  } catch (error) {
    code = (error as NodeJS.ErrnoException).code;
  }
  t.equal(code, 'ENOENT', 'refused: the name it was opened by is gone');
  t.equal(readFileSync(secret, 'utf8'), 'PRIVATE KEY\nno newline', 'nothing cut off or appended');
});
