import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { filesOf } from '../../engine/runtime/tree-files.js';
import { EMPTY_TREE } from '../../engine/git/repo.js';
import type { Runtime } from '../../engine/runtime/types.js';

/** A real repo with two trees; the runtime holds only what filesOf reads. */
function fixture() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-tree-files-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '-q');
  mkdirSync(path.join(dir, 'src'));
  writeFileSync(path.join(dir, 'README.md'), 'r\n');
  writeFileSync(path.join(dir, 'src', 'a b.txt'), 'a\n');
  git('add', '-A');
  const first = git('write-tree');
  writeFileSync(path.join(dir, 'src', 'c.txt'), 'c\n');
  git('add', '-A');
  const second = git('write-tree');
  const rt = { ws: { dir, gitDir: path.join(dir, '.git') } } as unknown as Runtime;
  return { dir, rt, first, second };
}

t.test('the files of each tree, one git per tree, none for the empty tree', async (t) => {
  const f = fixture();
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  t.same(await filesOf(f.rt, f.first), ['README.md', 'src/a b.txt']);
  t.same(await filesOf(f.rt, f.second), ['README.md', 'src/a b.txt', 'src/c.txt']);
  // The repo's objects gone: an answer can only come from the memo.
  rmSync(path.join(f.dir, '.git', 'objects'), { recursive: true, force: true });
  t.same(await filesOf(f.rt, f.first), ['README.md', 'src/a b.txt'], 'asked again: remembered');
  t.same(await filesOf(f.rt, EMPTY_TREE), [], 'the empty tree: no git');
  await t.rejects(filesOf(f.rt, '0123456789012345678901234567890123456789'), 'a tree git cannot read fails');
});
