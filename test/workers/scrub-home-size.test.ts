import t from 'tap';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { collectSecrets } from '../../engine/workers/redact.js';
import { scrubHome } from '../../engine/workers/scrub-home.js';
import { makeTempDir } from '../fixtures/workers/make-ctx.js';

// A worker writes into its home as it likes: with the OS sandbox on too. The scrub read each
// changed file whole: a sparse file of a terabyte (`truncate -s 1T`, instant, no disk used)
// held the engine, unable to answer a signal, while it read zeros for most of an hour; past
// 2 GiB the read failed and the file, secret and all, was left unsearched.
const secret = 'sk-live-0123456789abcdefghij';
const secrets = collectSecrets(['*_KEY'], [{ API_KEY: secret }]);

t.test('a secret across the boundary of two chunks is found and scrubbed', async (t) => {
  const home = path.join(makeTempDir(), 'home');
  mkdirSync(home);
  // 1 MiB chunks: the secret's first half ends one chunk, its second begins the next.
  const before = 'a'.repeat((1 << 20) - 10);
  writeFileSync(path.join(home, 'log'), `${before}${secret}\n${'b'.repeat(5000)}${secret}`);
  t.same(scrubHome(home, secrets), [{ file: 'log', names: ['API_KEY'] }]);
  t.equal(readFileSync(path.join(home, 'log'), 'utf8'), `${before}[REDACTED:API_KEY]\n${'b'.repeat(5000)}[REDACTED:API_KEY]`);
});

t.test('a file past the size searched is removed, not read: a terabyte of holes costs nothing', async (t) => {
  const home = path.join(makeTempDir(), 'home');
  mkdirSync(home);
  const huge = path.join(home, 'huge.bin');
  writeFileSync(huge, '');
  truncateSync(huge, 2 ** 40);
  // The secret far into the file, where a bounded read never gets.
  const fd = openSync(huge, 'r+');
  writeSync(fd, Buffer.from(secret), 0, secret.length, 2 ** 39);
  closeSync(fd);
  writeFileSync(path.join(home, 'small'), `key=${secret}\n`);
  const started = Date.now();
  const hits = scrubHome(home, secrets);
  t.ok(Date.now() - started < 5000, `done in ${Date.now() - started} ms`);
  t.same(hits, [
    { file: 'huge.bin', names: [], removed: 'larger than the 64 MiB a file is searched to' },
    { file: 'small', names: ['API_KEY'] },
  ]);
  t.notOk(existsSync(huge), 'the file that could not be searched is gone');
  t.equal(readFileSync(path.join(home, 'small'), 'utf8'), 'key=[REDACTED:API_KEY]\n');
});

t.test('files past the bytes a scrub searches in all are removed, each named', async (t) => {
  const home = path.join(makeTempDir(), 'home');
  mkdirSync(home);
  // 10 sparse files of 60 MiB each: each under the file limit, 600 MiB together.
  for (let i = 0; i < 10; i++) {
    const f = path.join(home, `part-${i}`);
    writeFileSync(f, '');
    truncateSync(f, 60 * 2 ** 20);
  }
  const hits = scrubHome(home, secrets);
  const removed = hits.filter((h) => h.removed);
  t.ok(removed.length >= 2, `${removed.length} files removed`);
  t.ok(removed.every((h) => h.removed === 'beyond the 512 MiB a scrub searches in all'), 'each says why');
  t.equal(removed.filter((h) => existsSync(path.join(home, h.file))).length, 0, 'and is gone');
  t.equal(hits.length, removed.length, 'no secret found in the rest');
});

// The scrubbed copy was written beside the file under `.<name>.<12 hex>.scrub.tmp`: for a
// name of 240 bytes or more that is past the file system's 255, the write failed, the engine
// exited 70 (on every resume too) and the secret stayed in the home.
t.test('a file whose name is as long as names go is scrubbed too', async (t) => {
  const home = path.join(makeTempDir(), 'home');
  mkdirSync(home);
  const name = 'n'.repeat(250);
  writeFileSync(path.join(home, name), `token ${secret}\n`);
  t.same(scrubHome(home, secrets), [{ file: name, names: ['API_KEY'] }]);
  t.equal(readFileSync(path.join(home, name), 'utf8'), 'token [REDACTED:API_KEY]\n');
});
