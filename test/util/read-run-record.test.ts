import t from 'tap';
import { existsSync, linkSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRegularFileSync } from '../../engine/util/read-or-null.js';
import { readRunFileSync, readRunRecordJson, readRunRecordText, readRunTextOrNull } from '../../engine/util/read-run-record.js';
import { isOwnRecordFile } from '../../engine/util/own-names.js';
import { rewriteFile } from '../../engine/store/atomic.js';
import { wrapFs } from '../helpers/wrap-fs.js';

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

t.test('a run record with another name is refused, but for the state.json swap', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-run-record-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const secret = path.join(dir, 'id_rsa');
  writeFileSync(secret, '{"key":"SECRET"}');
  const run = path.join(dir, 'r');
  mkdirSync(run);
  const state = path.join(run, 'state.json');
  linkSync(secret, state);
  t.throws(() => readRunRecordJson(state), { code: 'EMLINK', message: /state\.json has another name \(a hard link\), not read/ }, "a hard link to the user's file: refused");
  t.equal(readRunTextOrNull(state), null);
  t.notOk(isOwnRecordFile(state));
  t.equal(readRegularFileSync(state, 'utf8'), '{"key":"SECRET"}', 'a config reader reads it');
  // The user's file linked at the swap's name too: three names.
  linkSync(secret, path.join(run, '.state.json.old'));
  t.throws(() => readRunRecordJson(state), { code: 'EMLINK' }, 'three names, one the swap: refused');
  rmSync(state);
  rmSync(path.join(run, '.state.json.old'));
  // rewriteFile between linking the record aside and renaming the spare over it.
  rewriteFile(state, '{"status":"running"}\n');
  linkSync(state, path.join(run, '.state.json.old'));
  t.same(readRunRecordJson(state), { status: 'running' }, "two names, the other the swap's: read");
  t.ok(isOwnRecordFile(state));
  // The same inode's other name beside another record is not the swap's.
  writeFileSync(path.join(run, 'env.json'), '{}');
  linkSync(path.join(run, 'env.json'), path.join(run, 'copy.json'));
  t.throws(() => readRunRecordJson(path.join(run, 'env.json')), { code: 'EMLINK' });
});

t.test('a hard link whose name in the run is removed between the open and the fstat is refused: the one name left is not the run\'s', async (t) => {
  // A process left running links a file of the user's at state.json and removes that name
  // as soon as the engine has opened it: the descriptor's file then has one name, the user's,
  // and a count of names alone took it for the engine's. Here it acts before every fstat.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-run-record-race-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const secret = path.join(dir, 'id_rsa');
  writeFileSync(secret, '{"key":"SECRET"}');
  const run = path.join(dir, 'r');
  mkdirSync(run);
  const state = path.join(run, 'state.json');
  wrapFs(t, 'fstatSync', (original) =>
    ((fd: number, options?: never) => {
      rmSync(state, { force: true });
      return original(fd, options);
    }) as typeof original,
  );
  for (const [name, read] of [['readRunRecordJson', () => readRunRecordJson(state)], ['readRunTextOrNull', () => readRunTextOrNull(state) ?? 'null']] as const) {
    linkSync(secret, state);
    let got: unknown;
    try {
      got = read();
    } catch (error) {
      got = (error as NodeJS.ErrnoException).code;
    }
    t.notMatch(JSON.stringify(got), /SECRET/, `${name}: the user's file not read`);
  }
  linkSync(secret, state);
  t.throws(() => readRunFileSync(state), 'readRunFileSync: refused');
});

t.test("a hard link renamed to the swap's name between the open and the fstat is refused: the other name is the user's", async (t) => {
  // Two names, one `.state.json.old` of the same file, pass as the engine's swap: a process
  // that renames the record there after the engine's open left the user's name as the other.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-run-record-aside-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const secret = path.join(dir, 'id_rsa');
  writeFileSync(secret, '{"key":"SECRET"}');
  const run = path.join(dir, 'r');
  mkdirSync(run);
  const state = path.join(run, 'state.json');
  wrapFs(t, 'fstatSync', (original) =>
    ((fd: number, options?: never) => {
      if (existsSync(state)) renameSync(state, path.join(run, '.state.json.old'));
      return original(fd, options);
    }) as typeof original,
  );
  linkSync(secret, state);
  let got: unknown;
  try {
    got = readRunRecordJson(state);
  } catch (error) {
    got = (error as NodeJS.ErrnoException).code;
  }
  t.notMatch(JSON.stringify(got), /SECRET/, "the user's file not read");
});
