import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRegularFileSync } from '../../engine/util/read-or-null.js';
import { readRunFileSync, readRunRecordJson, readRunRecordText, readRunTextOrNull } from '../../engine/util/read-run-record.js';

// A run's records are read never through a link in their last component (a worker's link
// out of the store to ~/.ssh/id_rsa was shown by `report`); the folders above may be links,
// and the readers of the user's config still follow one.

t.test('a run record is read as a regular file itself, its folders through links', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-run-record-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const secret = path.join(dir, 'id_rsa');
  writeFileSync(secret, '{"key":"SECRET"}');
  const run = path.join(dir, 'store', 'r');
  mkdirSync(run, { recursive: true });
  writeFileSync(path.join(run, 'env.json'), '{"os":"linux"}');
  symlinkSync(secret, path.join(run, 'state.json'));
  symlinkSync(path.join(dir, 'store'), path.join(dir, 'store-link'));
  t.same(readRunRecordJson(path.join(dir, 'store-link', 'r', 'env.json')), { os: 'linux' }, 'a folder above is a link: read');
  for (const read of [() => readRunFileSync(path.join(run, 'state.json')), () => readRunRecordText(path.join(run, 'state.json')), () => readRunRecordJson(path.join(run, 'state.json'))]) {
    t.throws(read, { code: 'ELOOP', message: /state\.json is a symbolic link, not followed/ }, 'the record a link: refused, its target unread');
  }
  t.equal(readRunTextOrNull(path.join(run, 'state.json')), null);
  t.equal(readRegularFileSync(path.join(run, 'state.json'), 'utf8'), '{"key":"SECRET"}', 'a config reader still follows a link');
  symlinkSync('state.json', path.join(run, 'loop'));
  rmSync(path.join(run, 'state.json'));
  symlinkSync('loop', path.join(run, 'state.json'));
  t.throws(() => readRunFileSync(path.join(run, 'state.json')), { code: 'ELOOP' }, 'a loop of links: refused');
});
