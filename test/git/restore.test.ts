import t from 'tap';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createCheckpoint, createRunWorktree, headSha, listHandEdits, restoreWorktree } from '../../engine/git/index.js';
import { git, makeRepo, tempDir, writeFiles } from './fixtures/repo.js';

const author = { name: 'Engine', email: 'engine@localhost' };
const date = new Date('2024-05-01T12:00:00Z');

t.test('restore after a worker mess: new, modified, deleted, staged, nested repo', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', 'b.txt': 'b\n', 'dir/c.txt': 'c\n' });
  const run = await createRunWorktree({ repo, runId: 'mess' });
  writeFiles(run.worktree, { 'a.txt': 'a2\n' });
  const cp = await createCheckpoint({ worktree: run.worktree, message: 'm1', author, date });
  // The mess of a failed attempt.
  writeFiles(run.worktree, { 'a.txt': 'broken\n', 'new dir/new file.txt': 'n\n', 'staged.txt': 's\n' });
  rmSync(path.join(run.worktree, 'b.txt'));
  rmSync(path.join(run.worktree, 'dir'), { recursive: true });
  git(run.worktree, 'add', 'staged.txt');
  git(path.join(run.worktree), 'init', '-q', 'nested');
  await restoreWorktree(run.worktree, cp!.sha);
  t.equal(readFileSync(path.join(run.worktree, 'a.txt'), 'utf8'), 'a2\n');
  t.equal(readFileSync(path.join(run.worktree, 'b.txt'), 'utf8'), 'b\n');
  t.equal(readFileSync(path.join(run.worktree, 'dir/c.txt'), 'utf8'), 'c\n');
  t.notOk(existsSync(path.join(run.worktree, 'new dir')));
  t.notOk(existsSync(path.join(run.worktree, 'staged.txt')));
  t.notOk(existsSync(path.join(run.worktree, 'nested')));
  t.equal(git(run.worktree, 'status', '--porcelain', '--untracked-files=all'), '');
  t.same(await listHandEdits(run.worktree, cp!.sha), []);
});

t.test('restore to an earlier commit moves the branch back', async (t) => {
  const repo = makeRepo(t);
  const run = await createRunWorktree({ repo, runId: 'back' });
  writeFiles(run.worktree, { 'x.txt': '1\n' });
  const cp1 = await createCheckpoint({ worktree: run.worktree, message: 'm1', author, date });
  writeFiles(run.worktree, { 'x.txt': '2\n' });
  await createCheckpoint({ worktree: run.worktree, message: 'm2', author, date });
  await restoreWorktree(run.worktree, cp1!.sha);
  t.equal(await headSha(run.worktree), cp1!.sha);
  t.equal(git(repo, 'rev-parse', 'engine/back'), cp1!.sha);
  t.equal(readFileSync(path.join(run.worktree, 'x.txt'), 'utf8'), '1\n');
});

t.test('restore an orphan branch with no checkpoint: empty worktree and index', async (t) => {
  const repo = tempDir(t);
  git(repo, 'init', '-q');
  const run = await createRunWorktree({ repo, runId: 'o' });
  writeFiles(run.worktree, { 'f.txt': 'f\n', 'd/g.txt': 'g\n' });
  git(run.worktree, 'add', 'f.txt');
  t.same(await listHandEdits(run.worktree, null), ['d/g.txt', 'f.txt']);
  await restoreWorktree(run.worktree, null);
  t.equal(await headSha(run.worktree), null);
  t.equal(git(run.worktree, 'ls-files'), '');
  t.notOk(existsSync(path.join(run.worktree, 'f.txt')));
  t.notOk(existsSync(path.join(run.worktree, 'd')));
  t.ok(existsSync(path.join(run.worktree, '.git')), 'the worktree itself stays');
  t.same(await listHandEdits(run.worktree, null), []);
  // After a checkpoint, restoring to null leaves the branch unborn again.
  writeFiles(run.worktree, { 'h.txt': 'h\n' });
  await createCheckpoint({ worktree: run.worktree, message: 'm', author, date });
  await restoreWorktree(run.worktree, null);
  t.equal(await headSha(run.worktree), null);
  t.equal(git(run.worktree, 'symbolic-ref', 'HEAD'), 'refs/heads/engine/o');
  t.notOk(existsSync(path.join(run.worktree, 'h.txt')));
});

t.test('hand edits: files that differ from the commit, untracked included, index untouched', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', 'b.txt': 'b\n' });
  const run = await createRunWorktree({ repo, runId: 'hand' });
  const base = run.baseSha!;
  t.same(await listHandEdits(run.worktree, base), []);
  const indexBefore = readFileSync(path.join(git(run.worktree, 'rev-parse', '--absolute-git-dir'), 'index'));
  writeFiles(run.worktree, { 'a.txt': 'by hand\n', 'extra file.txt': 'e\n' });
  rmSync(path.join(run.worktree, 'b.txt'));
  t.same(await listHandEdits(run.worktree, base), ['a.txt', 'b.txt', 'extra file.txt']);
  t.same(readFileSync(path.join(git(run.worktree, 'rev-parse', '--absolute-git-dir'), 'index')), indexBefore);
  t.equal(git(run.worktree, 'status', '--porcelain', '--', 'extra file.txt'), '?? "extra file.txt"', 'still untracked');
});
