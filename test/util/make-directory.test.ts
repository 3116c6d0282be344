import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDirectory } from '../../engine/util/make-directory.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

t.test('makeDirectory makes every missing level; an existing directory is no error', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-mkdir-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  makeDirectory(path.join(dir, 'a', 'b', 'c'));
  t.ok(statSync(path.join(dir, 'a', 'b', 'c')).isDirectory());
  makeDirectory(path.join(dir, 'a', 'b', 'c'));
  writeFileSync(path.join(dir, 'file'), 'x');
  t.throws(() => makeDirectory(path.join(dir, 'file', 'sub')), { code: 'ENOTDIR' }, 'a file in the way is an error that names it');
  t.throws(() => makeDirectory(path.join(dir, 'file')), { code: 'EEXIST' }, 'so is a file at the name');
});

// Node 20's mkdirSync(…, { recursive: true }) spins for ever on a path under /proc (mkdir
// there says ENOENT, it makes the parent, which exists, and tries again), with the event loop
// blocked: not even SIGTERM ends it. A user's --store /proc/x hung `engine run` at full CPU.
t.test('a directory the system will not make (under /proc) is an error at once, not a hang', { skip: process.platform !== 'linux' && 'Linux only' }, async (t) => {
  t.throws(() => makeDirectory('/proc/engine-no-such/dir'), { code: 'ENOENT' });
  const script = `import(${JSON.stringify(path.join(root, 'dist', 'engine', 'util', 'make-directory.js'))}).then((m) => { try { m.makeDirectory('/proc/engine-no-such'); } catch (e) { console.log(e.code); } })`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
  t.equal(r.signal, null, 'it ends by itself');
  t.equal(r.stdout.trim(), 'ENOENT');
});
