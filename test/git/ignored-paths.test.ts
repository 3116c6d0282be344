// test cost: under a second: pure lookups, and links made in one temp folder.
import t from 'tap';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { heldAround, mayHoldNewIgnored, newIgnored, removeAroundKept, restoreSharedLinks } from '../../engine/git/ignored-paths.js';
import type { Workspace } from '../../engine/git/workspace.js';

t.test('what the set-up left is kept, whatever else git ignores is new', async (t) => {
  t.same(newIgnored(['build/', 'src/debug.log', '.gitignore'], ['build/']), ['src/debug.log', '.gitignore']);
  t.same(newIgnored([], ['build/']), []);
  t.same(newIgnored(['build/'], []), ['build/']);
});

t.test('a shared path is listed as a link (no slash) or a folder (a slash): either form keeps it', async (t) => {
  t.same(newIgnored(['node_modules', 'packages/a/node_modules/'], ['node_modules', 'packages/a/node_modules']), []);
  t.same(newIgnored(['node_modules/'], ['node_modules']), []);
});

t.test('inside a kept folder is kept; a name that only starts like one is not', async (t) => {
  t.same(newIgnored(['build/x.o', 'build2/', 'buildx'], ['build/']), ['build2/', 'buildx']);
});

t.test("a folder that holds a kept path is not removed whole (the set-up's output inside it stays)", async (t) => {
  // The set-up left build/stamp beside a tracked file; the worker removed the tracked file, so git lists build/ whole.
  t.same(newIgnored(['build/'], ['build/stamp']), []);
  t.same(newIgnored(['a/', 'ab/'], ['a/b/c']), ['ab/']);
});

t.test('an empty entry (the end of a -z list) is never a path', async (t) => {
  t.same(newIgnored(['', 'x'], []), ['x']);
});

t.test('a walk with nothing but staged files and kept paths needs no git; any other name does', async (t) => {
  const entries = [{ path: 'README.md' }, { path: 'src/a.js' }, { path: 'src/deep/b.js' }] as never[];
  const dirs = (extra: Record<string, string[]> = {}) =>
    [
      { rel: '', names: ['.git', 'README.md', 'node_modules', 'src', ...(extra[''] ?? [])] },
      { rel: 'src', names: ['a.js', 'deep', ...(extra.src ?? [])] },
      { rel: 'src/deep', names: ['b.js'] },
      { rel: 'build', names: ['x.o'] },
    ] as never[];
  t.notOk(mayHoldNewIgnored({ entries, dirs: dirs().slice(0, 3) }, ['node_modules']), 'staged files, their folders, the root .git and a shared link');
  t.ok(mayHoldNewIgnored({ entries, dirs: dirs({ '': ['build'] }) }, ['node_modules']), 'a new folder git did not stage');
  t.notOk(mayHoldNewIgnored({ entries, dirs: dirs({ '': ['build'] }) }, ['node_modules', 'build/']), "the set-up's folder and what is inside it");
  t.ok(mayHoldNewIgnored({ entries, dirs: dirs({ src: ['a.pyc'] }) }, ['node_modules']), 'an unstaged file beside staged ones');
  t.ok(mayHoldNewIgnored({ entries, dirs: dirs().slice(0, 3) }, []), 'a shared link no longer kept is a name git did not stage');
});

t.test('a folder git lists whole around a kept path is looked into, not kept whole', async (t) => {
  t.same(heldAround(['build/', 'a/', 'ab/', 'x'], ['build/stamp', 'a/b/c']), ['build', 'a']);
  t.same(heldAround(['build/'], ['build/']), [], 'a kept folder is kept');
  t.same(heldAround(['build/sub/'], ['build/']), [], 'inside a kept folder is kept');
});

t.test('a shared path filled again between its removal and its link (a process left running): not linked, never an error', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-relink-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const top = path.join(dir, 'repo');
  const wsDir = path.join(dir, 'ws');
  mkdirSync(path.join(top, 'node_modules'), { recursive: true });
  mkdirSync(path.join(wsDir, 'node_modules', 'dep'), { recursive: true });
  const ws = { dir: wsDir, gitDir: path.join(dir, 'git'), repo: { top }, branch: 'engine/r1', shared: ['node_modules'], findings: [] } as unknown as Workspace;
  // The link call meets a folder put there since the removal, as a racing process would leave it.
  const racing = (target: string, at: string) => {
    mkdirSync(at);
    symlinkSync(target, at);
  };
  t.same(restoreSharedLinks(ws, racing), [], 'nothing is said to be linked');
  t.ok(lstatSync(path.join(wsDir, 'node_modules')).isDirectory(), "the racer's folder is what is there");
  t.same(restoreSharedLinks(ws), ['node_modules'], 'the next look links it');
  t.equal(readlinkSync(path.join(wsDir, 'node_modules')), path.join(top, 'node_modules'));
});

t.test('a folder listed whole around a kept path that cannot be read (made search-only since the snapshot): removed whole, never an error', async (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'engine-around-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'build'));
  writeFileSync(path.join(root, 'build', 'stamp'), 'ok\n');
  writeFileSync(path.join(root, 'build', 'evil.flag'), '');
  t.same(removeAroundKept(root, 'build', ['build/stamp']), ['build/evil.flag'], 'readable: all but the kept path goes');
  t.ok(existsSync(path.join(root, 'build', 'stamp')));
  if (process.getuid?.() === 0) return t.comment('the unreadable half skipped: root reads a folder of mode 0311');
  writeFileSync(path.join(root, 'build', 'evil.flag'), '');
  chmodSync(path.join(root, 'build'), 0o311);
  t.same(removeAroundKept(root, 'build', ['build/stamp']), ['build/'], 'unreadable: the folder goes whole');
  t.notOk(existsSync(path.join(root, 'build')));
});

t.test('a link git lists on the way to a kept path (a folder the worker made a link, then ignored): the link goes, never what it names', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-around-link-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'ws');
  mkdirSync(path.join(root, 'packages'), { recursive: true });
  mkdirSync(path.join(dir, 'outside', 'node_modules', 'dep'), { recursive: true });
  symlinkSync(path.join(dir, 'outside'), path.join(root, 'packages', 'a'));
  t.same(heldAround(['packages/a'], ['packages/a/node_modules']), ['packages/a']);
  t.same(removeAroundKept(root, 'packages/a', ['packages/a/node_modules']), ['packages/a']);
  t.notOk(existsSync(path.join(root, 'packages', 'a')), 'the link is gone');
  t.ok(existsSync(path.join(dir, 'outside', 'node_modules', 'dep')), 'what it named is untouched');
  t.same(removeAroundKept(root, 'packages/a', ['packages/a/node_modules']), [], 'nothing there: nothing said removed');
});
