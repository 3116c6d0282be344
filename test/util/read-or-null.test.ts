import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readJsonOrNull, readPlainFileSync, readRegularFileSync, readTailSync, readTextOrNull } from '../../engine/util/read-or-null.js';
import { openRegularSync } from '../../engine/util/open-regular.js';
import { MAX_TIMELINE_BYTES, readTimelineText } from '../../engine/store/timeline.js';

/** A temp dir of the test's own, removed after it. */
function scratchDir(t: Test, prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** scratchDir with a file `a.txt` holding `text`. */
function scratchText(t: Test, prefix: string): { dir: string; file: string } {
  const dir = scratchDir(t, prefix);
  const file = path.join(dir, 'a.txt');
  writeFileSync(file, 'text');
  return { dir, file };
}

t.test('readTextOrNull: a regular file\'s text; null for what is missing, a directory, a FIFO or a device', async (t) => {
  const dir = scratchDir(t, 'engine-read-');
  writeFileSync(path.join(dir, 'a.json'), '{"a":1}');
  mkdirSync(path.join(dir, 'sub'));
  t.equal(readTextOrNull(path.join(dir, 'a.json')), '{"a":1}');
  t.same(readJsonOrNull(path.join(dir, 'a.json')), { a: 1 });
  t.equal(readTextOrNull(path.join(dir, 'missing')), null);
  t.equal(readTextOrNull(path.join(dir, 'sub')), null);
  // A FIFO with no writer: reading it would wait for ever (a worker can put one at a settings file's name).
  const fifo = path.join(dir, 'settings.json');
  execFileSync('mkfifo', [fifo]);
  t.equal(readJsonOrNull(fifo), null, 'a FIFO is not read (the test would hang if it were)');
  t.equal(readTextOrNull('/dev/zero'), null, 'a device is not read');
});

t.test('readRegularFileSync refuses a file past its limit unread (EFBIG), and so does a timeline past what the engine writes', async (t) => {
  const dir = scratchDir(t, 'engine-read-');
  const file = path.join(dir, 'f');
  writeFileSync(file, 'abcd');
  t.equal(readRegularFileSync(file, 'utf8', 4), 'abcd', 'at the limit');
  t.same(readRegularFileSync(file, undefined, 4), Buffer.from('abcd'));
  t.throws(() => readRegularFileSync(file, 'utf8', 3), { code: 'EFBIG', size: 4 });
  const timeline = path.join(dir, 'timeline.jsonl');
  writeFileSync(timeline, '{"seq":1}\n');
  t.equal(readTimelineText(timeline), '{"seq":1}\n');
  // Sparse: a file V8 could make no string of, refused by its size alone.
  truncateSync(timeline, MAX_TIMELINE_BYTES + 1);
  t.throws(() => readTimelineText(timeline), { code: 'EFBIG', message: `timeline.jsonl is ${MAX_TIMELINE_BYTES + 1} bytes, more than the engine writes of a run (${MAX_TIMELINE_BYTES})` });
});

t.test('readTailSync: the last bytes of a file, from a whole character; a FIFO refused', async (t) => {
  const dir = scratchDir(t, 'engine-tail-');
  const file = path.join(dir, 'stderr.log');
  writeFileSync(file, 'abc');
  t.equal(readTailSync(file, 10), 'abc', 'shorter than the tail: whole');
  writeFileSync(file, `${'x'.repeat(100)}é€`);
  t.equal(readTailSync(file, 4), '€', 'a tail that begins inside é starts at the next character');
  t.equal(readTailSync(file, 5), 'é€');
  // Sparse: 600 MB, of which 64 KiB are read.
  truncateSync(file, 600 * 2 ** 20);
  t.equal(readTailSync(file, 64 * 1024).length, 64 * 1024);
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  t.throws(() => readTailSync(fifo, 10), { code: 'ENOTREG' });
});

t.test('readPlainFileSync: a regular file through one descriptor; a link, a FIFO, a directory or nothing is null, at once', async (t) => {
  const { dir, file } = scratchText(t, 'engine-plain-');
  const read = readPlainFileSync(file);
  t.equal(read?.bytes.toString(), 'text');
  t.equal(read?.st.size, 4n);
  symlinkSync(file, path.join(dir, 'link'));
  t.equal(readPlainFileSync(path.join(dir, 'link')), null, 'a link is not followed');
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  t.equal(readPlainFileSync(path.join(dir, 'fifo')), null, 'a FIFO is not waited on');
  t.equal(readPlainFileSync(dir), null);
  t.equal(readPlainFileSync(path.join(dir, 'none')), null);
});

t.test('openRegularSync: a regular file\'s descriptor and its stat; null, at once, for a FIFO, a directory or a device; a link followed only when allowed', async (t) => {
  const { dir, file } = scratchText(t, 'engine-open-');
  const opened = openRegularSync(file);
  t.ok(opened);
  t.equal(opened!.st.size, 4);
  t.equal(readFileSync(opened!.fd, 'utf8'), 'text', 'the descriptor reads the file');
  closeSync(opened!.fd);
  t.equal(openRegularSync(file, { bigint: true })?.st.size, 4n, 'a bigint stat when asked');
  symlinkSync(file, path.join(dir, 'link'));
  t.ok(openRegularSync(path.join(dir, 'link')), 'a link is followed by default');
  t.throws(() => openRegularSync(path.join(dir, 'link'), { noFollow: true }), { code: 'ELOOP' }, 'not with noFollow');
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  t.equal(openRegularSync(path.join(dir, 'fifo')), null, 'a FIFO is not waited on');
  t.equal(openRegularSync(dir), null, 'a directory');
  t.equal(openRegularSync('/dev/zero'), null, 'a device');
  t.throws(() => openRegularSync(path.join(dir, 'none')), { code: 'ENOENT' });
});
