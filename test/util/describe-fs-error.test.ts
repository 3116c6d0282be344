import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeFsError } from '../../engine/util/describe-fs-error.js';

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
};

t.test('file system errors in words, with their path; anything else is not one', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-fs-error-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'f');
  writeFileSync(file, 'x');
  t.same(describeFsError(thrown(() => readFileSync(path.join(dir, 'missing')))), { path: path.join(dir, 'missing'), why: 'no such file' });
  t.same(describeFsError(thrown(() => readFileSync(dir))), { path: null, why: 'is a directory, not a file' }, 'node gives no path for a read of a directory');
  t.same(describeFsError(thrown(() => mkdirSync(file, { recursive: true }))), { path: file, why: 'is a file, not a directory' }, 'mkdir over a file');
  t.same(describeFsError(thrown(() => writeFileSync(path.join(file, 'x'), ''))), { path: path.join(file, 'x'), why: 'a part of the path is a file, not a directory' });
  t.equal(describeFsError(new TypeError('x is undefined')), null, 'a bug is not worded as the user\'s to mend');
  t.equal(describeFsError(Object.assign(new Error('odd'), { code: 'ENOENT' })), null, 'a code without a system call is not the file system\'s');
  t.equal(describeFsError(null), null);
});
