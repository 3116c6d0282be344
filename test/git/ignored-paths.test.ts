import t from 'tap';
import { heldAround, mayHoldNewIgnored, newIgnored } from '../../engine/git/ignored-paths.js';

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
