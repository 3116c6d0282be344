import t from 'tap';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, linkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fdPath, openWithin, removeFile, removeTree, removeWithin } from '../../engine/util/remove-tree.js';

/** A temp dir holding `outside` (files a removal must never reach) and `tree` (what is removed). */
function fixture(): { base: string; outside: string; tree: string } {
  const base = mkdtempSync(path.join(os.tmpdir(), 'engine-remove-tree-'));
  const outside = path.join(base, 'outside');
  mkdirSync(path.join(outside, 'deep'), { recursive: true });
  writeFileSync(path.join(outside, 'keep.txt'), 'keep');
  writeFileSync(path.join(outside, 'deep', 'keep.txt'), 'keep');
  const tree = path.join(base, 'tree');
  mkdirSync(path.join(tree, 'a', 'b', 'c'), { recursive: true });
  writeFileSync(path.join(tree, 'top.txt'), 'x');
  writeFileSync(path.join(tree, 'a', 'b', 'c', 'leaf.txt'), 'x');
  mkdirSync(path.join(tree, 'empty'));
  return { base, outside, tree };
}

t.test('a tree with files, nested and empty directories is removed whole', async (t) => {
  const { base, tree } = fixture();
  removeTree(tree);
  t.notOk(existsSync(tree));
  t.strictSame(readdirSync(base), ['outside']);
});

t.test('links inside the tree are removed, never followed: what they point at stays', async (t) => {
  const { outside, tree } = fixture();
  symlinkSync(outside, path.join(tree, 'a', 'to-dir'));
  symlinkSync(path.join(outside, 'keep.txt'), path.join(tree, 'to-file'));
  symlinkSync('../../outside', path.join(tree, 'relative'));
  symlinkSync(path.join(outside, 'missing'), path.join(tree, 'dangling'));
  linkSync(path.join(outside, 'deep', 'keep.txt'), path.join(tree, 'hard'));
  removeTree(tree);
  t.notOk(existsSync(tree));
  t.equal(readFileSync(path.join(outside, 'keep.txt'), 'utf8'), 'keep');
  t.equal(readFileSync(path.join(outside, 'deep', 'keep.txt'), 'utf8'), 'keep', 'a hard link removed is one name less, the file stays');
  t.strictSame(readdirSync(outside).sort(), ['deep', 'keep.txt']);
});

t.test('a link given as the tree is removed itself, not the directory it names', async (t) => {
  const { base, outside } = fixture();
  const link = path.join(base, 'link');
  symlinkSync(outside, link);
  removeTree(link);
  t.notOk(lstatSync(link, { throwIfNoEntry: false }), 'the link is gone');
  t.strictSame(readdirSync(outside).sort(), ['deep', 'keep.txt'], 'its target is untouched');
});

t.test('a missing path is no error; a file is removed; removeFile refuses a directory', async (t) => {
  const { base, tree } = fixture();
  t.doesNotThrow(() => removeTree(path.join(base, 'nothing-here')));
  t.doesNotThrow(() => removeFile(path.join(base, 'nothing-here')));
  removeTree(path.join(tree, 'top.txt'));
  t.notOk(existsSync(path.join(tree, 'top.txt')));
  removeFile(path.join(tree, 'a', 'b', 'c', 'leaf.txt'));
  t.notOk(existsSync(path.join(tree, 'a', 'b', 'c', 'leaf.txt')));
  t.throws(() => removeFile(path.join(tree, 'a')), { code: /EISDIR|EPERM/ }, 'a directory is not a file');
  t.ok(existsSync(path.join(tree, 'a')));
});

t.test('a file under a path that is a file, not a directory, is an error that names it', async (t) => {
  const { tree } = fixture();
  t.throws(() => removeTree(path.join(tree, 'top.txt', 'under')), { code: 'ENOTDIR' });
});

t.test('a tree thousands of directories deep is removed whole (a worker can nest them)', async (t) => {
  // 12,000 levels of one-letter names: a walk of its own ran out of stack (and descriptors), and
  // past 64 levels the rest goes to rm -rf through the descriptor of its parent.
  const base = mkdtempSync(path.join(os.tmpdir(), 'engine-rm-deep-'));
  // Made as a worker would, one relative step at a time (the whole path is longer than PATH_MAX).
  const made = spawnSync(process.execPath, ['-e', "const fs = require('fs'); for (let i = 1; i <= 12000; i++) { fs.mkdirSync('d'); process.chdir('d'); if (i % 4000 === 0) fs.writeFileSync('f', 'x'); }"], { cwd: base });
  t.equal(made.status, 0, 'the tree was made');
  removeTree(base);
  t.notOk(existsSync(base), 'removed, no stack overflow');
});

// Names that are not UTF-8 (a worker's `mkdir $'\xff'`): listed as text, each became another
// name (U+FFFD) that opened nothing, and the directory holding it could not be removed
// (ENOTEMPTY): the end of a run that completed was an engine error, exit 70.
t.test('names that are not UTF-8, at the top, below and past the depth rm -rf takes over, are removed', async (t) => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'engine-rm-bytes-'));
  const made = spawnSync('python3', ['-c', [
    'import os',
    'os.makedirs(b"\\xff/\\xfe\\xfd")',
    'open(b"\\xff/\\xfe\\xfd/\\x80.txt", "w").write("x")',
    'open(b"\\xc3(", "w").write("x")',
    'os.makedirs("deep"); os.chdir("deep")',
    'for i in range(70): os.mkdir("d"); os.chdir("d")',
    'os.mkdir(b"\\xff"); open(b"\\xff/f", "w").write("x")',
  ].join('\n')], { cwd: base });
  t.equal(made.status, 0, `made (${made.stderr})`);
  removeTree(base);
  t.notOk(existsSync(base), 'removed whole');
});

// A path inside a root reached by name follows any link on the way: a process a worker left
// running (no OS sandbox) swaps a folder above the target for a link, and removing
// `<root>/a/b/target` removed what the link leads to. removeWithin goes from the root one
// name at a time, never through a link.
t.test('removeWithin: a link on the way to the target is never followed; inside, the target goes', async (t) => {
  const { base, outside, tree } = fixture();
  mkdirSync(path.join(outside, 'b', 'target'), { recursive: true });
  writeFileSync(path.join(outside, 'b', 'target', 'important.txt'), 'user data');
  symlinkSync(outside, path.join(tree, 'swapped'));
  removeWithin(tree, 'swapped/b/target');
  t.ok(existsSync(path.join(outside, 'b', 'target', 'important.txt')), 'what the link leads to stays');
  t.ok(lstatSync(path.join(tree, 'swapped')).isSymbolicLink(), 'the link itself is left as it was');
  removeWithin(tree, 'a/b');
  t.notOk(existsSync(path.join(tree, 'a', 'b')), 'a folder inside is removed whole');
  t.ok(existsSync(path.join(tree, 'a')), 'the folder above it stays');
  removeWithin(tree, 'top.txt');
  t.notOk(existsSync(path.join(tree, 'top.txt')), 'a file too');
  removeWithin(tree, 'missing/x');
  t.pass('a path that is not there is no error');
  t.throws(() => removeWithin(tree, '../outside'), /not a path inside/, 'a path that leaves the root is refused');
  removeTree(base);
});

// What the snapshot renames or removes inside a folder (names that are not UTF-8) it does
// through one descriptor of that folder, reached from the root without a link: by the folder's
// path, each rename could lead elsewhere once a process swapped the folder for a link.
t.test('openWithin: the folder itself, reached without a link; null past a link or a file', async (t) => {
  const { base, outside, tree } = fixture();
  symlinkSync(outside, path.join(tree, 'swapped'));
  const fd = openWithin(tree, 'a/b');
  t.ok(fd !== null && fd >= 0, 'a folder inside is opened');
  t.equal(fstatSync(fd!).ino, statSync(path.join(tree, 'a', 'b')).ino, 'it is that folder');
  t.ok(existsSync(`${fdPath(fd!)}/c/leaf.txt`), 'and what it holds is reached through it');
  closeSync(fd!);
  t.equal(openWithin(tree, 'swapped'), null, 'a link is not followed');
  t.equal(openWithin(tree, 'swapped/deep'), null, 'nor one on the way');
  t.equal(openWithin(tree, 'top.txt'), null, 'a file is no folder');
  t.equal(openWithin(tree, 'missing'), null, 'a missing one is none');
  t.throws(() => openWithin(tree, 'a/../..'), /not a path inside/);
  // A root swapped for a link (a process left running can do it to the workspace): none.
  const swappedRoot = path.join(base, 'root-link');
  symlinkSync(outside, swappedRoot);
  t.equal(openWithin(swappedRoot, ''), null, 'a root that is a link is not followed');
  removeWithin(swappedRoot, 'keep.txt');
  t.ok(existsSync(path.join(outside, 'keep.txt')), 'and nothing is removed through it');
  removeTree(base);
});
