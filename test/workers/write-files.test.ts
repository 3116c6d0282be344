import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BufferedFileWriter } from '../../engine/workers/write-files.js';

t.test('BufferedFileWriter: a closed writer hands its buffer on, and cannot write into the next one', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-write-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = new BufferedFileWriter(path.join(dir, 'first.log'));
  first.write('first line\n');
  first.write(Buffer.from('first bytes\n'));
  first.close();
  // The next writer most likely gets the same buffer: a late write of the first must not land there.
  const second = new BufferedFileWriter(path.join(dir, 'second.log'));
  second.write('second line\n');
  t.throws(() => first.write('late write of the first\n'), { code: 'EBADF' }, 'a write after close fails on the closed file');
  t.throws(() => first.write(Buffer.from('late bytes\n')), { code: 'EBADF' });
  first.close(); // a second close leaves the fd number (maybe the second's now) alone
  second.write('x'.repeat(300 * 1024));
  second.write('end\n');
  second.close();
  t.equal(readFileSync(path.join(dir, 'first.log'), 'utf8'), 'first line\nfirst bytes\n');
  t.equal(readFileSync(path.join(dir, 'second.log'), 'utf8'), `second line\n${'x'.repeat(300 * 1024)}end\n`);
  t.equal(second.written, Buffer.byteLength(`second line\n${'x'.repeat(300 * 1024)}end\n`));
});

t.test('BufferedFileWriter: writers open at the same time never share a buffer', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-write-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (let i = 0; i < 3; i++) new BufferedFileWriter(path.join(dir, `warm-${i}.log`)).close();
  const writers = Array.from({ length: 6 }, (_, i) => new BufferedFileWriter(path.join(dir, `w${i}.log`)));
  for (let line = 0; line < 50; line++) writers.forEach((w, i) => w.write(`writer ${i} line ${line}\n`));
  for (const w of writers) w.close();
  writers.forEach((_, i) => {
    const want = Array.from({ length: 50 }, (_, line) => `writer ${i} line ${line}\n`).join('');
    t.equal(readFileSync(path.join(dir, `w${i}.log`), 'utf8'), want, `w${i}.log holds its own lines only`);
  });
});
