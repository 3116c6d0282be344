import t from 'tap';
import { rmSync, renameSync } from 'node:fs';
import path from 'node:path';
import { createCheckpoint, createRunWorktree, diffStats, listChangedFiles, parseNameStatus, parseNumstat } from '../../engine/git/index.js';
import { git, makeRepo, tempDir, writeFiles } from './fixtures/repo.js';

t.test('lists tracked and untracked changes, repo-relative and sorted', async (t) => {
  const repo = makeRepo(t, { 'keep.txt': 'k\n', 'mod.txt': 'm\n', 'del.txt': 'd\n', 'old name.txt': 'some content that is long enough\nto be detected as a rename\n' });
  const run = await createRunWorktree({ repo, runId: 'ch' });
  t.same(await listChangedFiles(run.worktree), []);
  writeFiles(run.worktree, { 'mod.txt': 'm2\n', 'z/ñew file.txt': 'n\n', 'a-new.txt': 'a\n' });
  rmSync(path.join(run.worktree, 'del.txt'));
  renameSync(path.join(run.worktree, 'old name.txt'), path.join(run.worktree, 'new name.txt'));
  t.same(await listChangedFiles(run.worktree), [
    { path: 'a-new.txt', status: 'added' },
    { path: 'del.txt', status: 'deleted' },
    { path: 'mod.txt', status: 'modified' },
    { path: 'new name.txt', status: 'renamed', from: 'old name.txt' },
    { path: 'z/ñew file.txt', status: 'added' },
  ]);
  t.equal(git(run.worktree, 'diff', '--cached', '--name-only'), '', 'the worktree index is untouched');
  await createCheckpoint({ worktree: run.worktree, message: 'm', author: { name: 'E', email: 'e@x' }, date: new Date(0) });
  t.same(await listChangedFiles(run.worktree), [], 'relative to the last checkpoint');
});

t.test('ignored files are not changes', async (t) => {
  const repo = makeRepo(t, { '.gitignore': 'node_modules/\n' });
  const run = await createRunWorktree({ repo, runId: 'ign' });
  writeFiles(run.worktree, { 'node_modules/x/index.js': 'x\n', 'src.js': 's\n' });
  t.same(await listChangedFiles(run.worktree), [{ path: 'src.js', status: 'added' }]);
});

t.test('on an unborn branch everything is added', async (t) => {
  const repo = tempDir(t);
  git(repo, 'init', '-q');
  const run = await createRunWorktree({ repo, runId: 'u' });
  writeFiles(run.worktree, { 'b.txt': 'b\n', 'a.txt': 'a\n' });
  t.same(await listChangedFiles(run.worktree), [
    { path: 'a.txt', status: 'added' },
    { path: 'b.txt', status: 'added' },
  ]);
  t.same(await diffStats(run.worktree, null), { files: 2, added: 2, removed: 0 });
});

t.test('diffStats counts lines of tracked and untracked files; binary counts as a file', async (t) => {
  const repo = makeRepo(t, { 'a.txt': '1\n2\n3\n', 'gone.txt': 'x\ny\n' });
  const run = await createRunWorktree({ repo, runId: 'ds' });
  t.same(await diffStats(run.worktree, run.baseSha), { files: 0, added: 0, removed: 0 });
  writeFiles(run.worktree, {
    'a.txt': '1\nTWO\n3\n4\n', // +2 -1
    'new.txt': 'n1\nn2\nn3\n', // +3, untracked
    'img.bin': Buffer.from([0, 1, 2, 0, 255, 0]), // binary
  });
  rmSync(path.join(run.worktree, 'gone.txt')); // -2
  t.same(await diffStats(run.worktree, run.baseSha), { files: 4, added: 5, removed: 3 });
  const cp = await createCheckpoint({ worktree: run.worktree, message: 'm', author: { name: 'E', email: 'e@x' }, date: new Date(0) });
  t.same(await diffStats(run.worktree, cp!.sha), { files: 0, added: 0, removed: 0 });
  t.same(await diffStats(run.worktree, run.baseSha), { files: 4, added: 5, removed: 3 }, 'from the base across checkpoints');
});

t.test('parsers', async (t) => {
  t.same(parseNameStatus('M\0a b\0R087\0old\0new\0C100\0x\0y\0D\0gone\0A\0add\0T\0link\0'), [
    { path: 'a b', status: 'modified' },
    { path: 'new', status: 'renamed', from: 'old' },
    { path: 'y', status: 'added' },
    { path: 'gone', status: 'deleted' },
    { path: 'add', status: 'added' },
    { path: 'link', status: 'modified' },
  ]);
  t.same(parseNumstat('3\t1\ta\0-\t-\tbin\0'), { files: 2, added: 3, removed: 1 });
  t.same(parseNumstat(''), { files: 0, added: 0, removed: 0 });
});
