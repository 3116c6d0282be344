import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readHomeFile, writeHomeFile } from '../../engine/store/home-files.js';

// A worker's home is bound writable into its sandbox, and the engine writes files there
// before the worker's next call (codex's config.toml, its output schema, the replay count).
// Whatever the worker left at those names — a link to the user's files, a dangling link, a
// directory, a FIFO — the engine must neither write through it nor hang on it.

function setup(t: Test) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-home-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const home = path.join(dir, 'home');
  const user = path.join(dir, 'user');
  mkdirSync(home);
  mkdirSync(user);
  writeFileSync(path.join(user, 'notes.txt'), 'my notes\n');
  return { home, user };
}

t.test('a link left at the name is replaced, never written through', async (t) => {
  const { home, user } = setup(t);
  symlinkSync(path.join(user, 'notes.txt'), path.join(home, 'config.toml'));
  writeHomeFile(home, 'config.toml', 'engine config\n');
  t.equal(readFileSync(path.join(user, 'notes.txt'), 'utf8'), 'my notes\n', "the user's file is untouched");
  t.ok(lstatSync(path.join(home, 'config.toml')).isFile(), 'a regular file now stands at the name');
  t.equal(readFileSync(path.join(home, 'config.toml'), 'utf8'), 'engine config\n');
});

t.test('a dangling link, a link to a directory, a directory and a FIFO at the name', async (t) => {
  const { home, user } = setup(t);
  symlinkSync(path.join(user, 'new-file.txt'), path.join(home, 'a'));
  symlinkSync(user, path.join(home, 'b'));
  mkdirSync(path.join(home, 'c', 'deeper'), { recursive: true });
  symlinkSync(path.join(user, 'notes.txt'), path.join(home, 'c', 'deeper', 'link'));
  execFileSync('mkfifo', [path.join(home, 'd')]);
  for (const name of ['a', 'b', 'c', 'd']) writeHomeFile(home, name, `${name}\n`);
  for (const name of ['a', 'b', 'c', 'd']) t.equal(readFileSync(path.join(home, name), 'utf8'), `${name}\n`, `${name}: the engine's file`);
  t.strictSame(readdirNames(user), ['notes.txt'], 'nothing made in the user\'s directory');
  t.equal(readFileSync(path.join(user, 'notes.txt'), 'utf8'), 'my notes\n');
  t.strictSame(readdirNames(home), ['a', 'b', 'c', 'd'], 'no temp file left beside them');
});

t.test('reading takes a regular file only: a link or a FIFO reads as nothing, without blocking', async (t) => {
  const { home, user } = setup(t);
  writeFileSync(path.join(home, 'plain.json'), '{"n":1}\n');
  symlinkSync(path.join(user, 'notes.txt'), path.join(home, 'link.json'));
  execFileSync('mkfifo', [path.join(home, 'fifo.json')]);
  t.equal(readHomeFile(home, 'plain.json'), '{"n":1}\n');
  t.equal(readHomeFile(home, 'link.json'), null, 'a link is not followed');
  t.equal(readHomeFile(home, 'fifo.json'), null, 'a FIFO is not read (no writer would ever come)');
  t.equal(readHomeFile(home, 'missing.json'), null);
  t.equal(readlinkSync(path.join(home, 'link.json')), path.join(user, 'notes.txt'), 'reading changes nothing');
});

t.test('the home itself replaced by a link (a worker without a sandbox): made a directory again', async (t) => {
  const { home, user } = setup(t);
  rmSync(home, { recursive: true });
  symlinkSync(user, home);
  writeHomeFile(home, 'config.toml', 'engine config\n');
  t.ok(lstatSync(home).isDirectory(), 'a real directory again');
  t.strictSame(readdirNames(user), ['notes.txt'], 'nothing written through the link');
});

function readdirNames(dir: string): string[] {
  return execFileSync('ls', ['-A', dir], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
}
