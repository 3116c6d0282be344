import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readJsonOrNull, readTextOrNull } from '../../engine/util/read-or-null.js';

t.test('readTextOrNull: a regular file\'s text; null for what is missing, a directory, a FIFO or a device', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-read-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
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
