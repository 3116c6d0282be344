import t from 'tap';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fakeGit } from '../helpers/fake-git.js';
import { commitCheckpoint } from '../../engine/git/checkpoint.js';
import { EMPTY_TREE } from '../../engine/git/repo.js';
import { restoreWorkspace } from '../../engine/git/restore.js';
import { snapshotTree } from '../../engine/git/snapshot.js';
import { changedKeys, git, makeEmptyRepo, makeRepo, makeWorkspace, snapshotFiles, writeFiles } from './fixtures/repo.js';

const author = { name: 'Engine', email: 'engine@localhost' };
const date = new Date('2024-05-01T12:00:00Z');
const message = { title: 'm', runId: 'r', milestone: '1', step: 'checkpoint' };

t.test('restore after a worker mess: new, modified, deleted, staged, type changes, nested repos; ignored files stay', async (t) => {
  const repo = makeRepo(t, { '.gitignore': 'build/\n*.log\n', 'a.txt': 'a\n', 'b.txt': 'b\n', 'dir/c.txt': 'c\n', 'was-file': 'f\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'mess');
  writeFiles(ws.dir, { 'a.txt': 'a2\n' });
  const tree = await snapshotTree(ws);
  await commitCheckpoint({ ws, tree, parent: baseSha, message, author, date });
  // The mess of a failed attempt.
  writeFiles(ws.dir, { 'a.txt': 'broken\n', 'new dir/new file.txt': 'n\n', 'staged.txt': 's\n', 'build/out.bin': 'o\n', 'debug.log': 'l\n' });
  rmSync(path.join(ws.dir, 'b.txt'));
  rmSync(path.join(ws.dir, 'dir'), { recursive: true });
  symlinkSync('/etc', path.join(ws.dir, 'dir'));
  rmSync(path.join(ws.dir, 'was-file'));
  mkdirSync(path.join(ws.dir, 'was-file'));
  writeFiles(ws.dir, { 'was-file/inner.txt': 'i\n' });
  git(ws.dir, 'add', 'staged.txt');
  git(ws.dir, 'init', '-q', 'nested-empty');
  git(ws.dir, 'init', '-q', 'nested');
  writeFiles(path.join(ws.dir, 'nested'), { 'x.txt': 'x\n' });
  git(path.join(ws.dir, 'nested'), 'add', '-A');
  git(path.join(ws.dir, 'nested'), 'commit', '-q', '-m', 'x');
  const ownHeadBefore = readFileSync(path.join(ws.dir, '.git', 'HEAD'), 'utf8');
  await restoreWorkspace(ws, tree);
  t.equal(readFileSync(path.join(ws.dir, 'a.txt'), 'utf8'), 'a2\n');
  t.equal(readFileSync(path.join(ws.dir, 'b.txt'), 'utf8'), 'b\n');
  t.ok(lstatSync(path.join(ws.dir, 'dir')).isDirectory(), 'the link is a directory again');
  t.equal(readFileSync(path.join(ws.dir, 'dir/c.txt'), 'utf8'), 'c\n');
  t.equal(readFileSync(path.join(ws.dir, 'was-file'), 'utf8'), 'f\n');
  for (const gone of ['new dir', 'staged.txt', 'nested', 'nested-empty']) t.notOk(existsSync(path.join(ws.dir, gone)), `${gone} removed`);
  t.equal(readFileSync(path.join(ws.dir, 'build/out.bin'), 'utf8'), 'o\n', 'ignored files stay');
  t.equal(readFileSync(path.join(ws.dir, 'debug.log'), 'utf8'), 'l\n');
  t.equal(await snapshotTree(ws), tree, 'the workspace is the tree again');
  t.ok(existsSync(path.join(ws.dir, '.git')), "the worker's .git stays");
  t.equal(readFileSync(path.join(ws.dir, '.git', 'HEAD'), 'utf8'), ownHeadBefore);
  t.notOk(existsSync('/etc/c.txt'), 'nothing was written through the link');
});

t.test('restore to an earlier tree and forward again', async (t) => {
  const repo = makeRepo(t);
  const { ws, baseSha } = await makeWorkspace(t, repo, 'back');
  writeFiles(ws.dir, { 'x.txt': '1\n' });
  const t1 = await snapshotTree(ws);
  const c1 = await commitCheckpoint({ ws, tree: t1, parent: baseSha, message, author, date });
  writeFiles(ws.dir, { 'x.txt': '2\n', 'y.txt': 'y\n' });
  const t2 = await snapshotTree(ws);
  await commitCheckpoint({ ws, tree: t2, parent: c1, message, author, date });
  await restoreWorkspace(ws, t1);
  t.equal(readFileSync(path.join(ws.dir, 'x.txt'), 'utf8'), '1\n');
  t.notOk(existsSync(path.join(ws.dir, 'y.txt')));
  await restoreWorkspace(ws, t2);
  t.equal(readFileSync(path.join(ws.dir, 'y.txt'), 'utf8'), 'y\n');
  t.equal(await snapshotTree(ws), t2);
});

t.test('restore to null empties the workspace (unborn run) but keeps .git and ignored files', async (t) => {
  const repo = makeEmptyRepo(t);
  const { ws } = await makeWorkspace(t, repo, 'o');
  writeFiles(ws.dir, { 'f.txt': 'f\n', 'd/g.txt': 'g\n', '.gitignore': 'keep.me\n' });
  git(ws.dir, 'add', 'f.txt');
  await restoreWorkspace(ws, null);
  t.notOk(existsSync(path.join(ws.dir, 'f.txt')));
  t.notOk(existsSync(path.join(ws.dir, 'd')));
  t.notOk(existsSync(path.join(ws.dir, '.gitignore')));
  t.ok(existsSync(path.join(ws.dir, '.git')));
  t.equal(await snapshotTree(ws), EMPTY_TREE);
  // A file ignored by a checked-out .gitignore stays on restore to a tree holding it.
  writeFiles(ws.dir, { '.gitignore': 'keep.me\n', 'keep.me': 'k\n', 'tracked.txt': 't\n' });
  const tree = await snapshotTree(ws);
  writeFiles(ws.dir, { 'junk.txt': 'j\n' });
  await restoreWorkspace(ws, tree);
  t.equal(readFileSync(path.join(ws.dir, 'keep.me'), 'utf8'), 'k\n');
  t.notOk(existsSync(path.join(ws.dir, 'junk.txt')));
});

t.test("restore touches neither the user's repo nor the worker's index and refs", async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'quiet');
  writeFiles(ws.dir, { 'b.txt': 'b\n' });
  git(ws.dir, 'add', '-A');
  git(ws.dir, 'commit', '-q', '-m', 'worker');
  const own = snapshotFiles(path.join(ws.dir, '.git'));
  const user = snapshotFiles(repo);
  await restoreWorkspace(ws, git(repo, 'rev-parse', `${baseSha}^{tree}`));
  t.notOk(existsSync(path.join(ws.dir, 'b.txt')));
  t.same(changedKeys(own, snapshotFiles(path.join(ws.dir, '.git'))), [], "the worker's .git is as it was");
  t.same(changedKeys(user, snapshotFiles(repo)), [], 'the user repo is as it was');
});

// Without the OS sandbox a process the worker left running can put a link in place of the
// workspace just as the engine rolls it back (a hostile probe waited for attempted.patch):
// git then wrote the tree into, and cleaned, the directory the link names (the user's
// checkout, uncommitted work and all). The restore works on the directory the engine made,
// wherever it is by the time git runs, and refuses a workspace that is already a link.
function victimDir(t: { teardown(fn: () => void): void }): string {
  const victim = makeRepo(t, { 'notes.txt': 'notes\n' });
  writeFiles(victim, { 'notes.txt': 'notes\nuncommitted edit\n', 'untracked.txt': 'mine\n' });
  return victim;
}

t.test('a link put in place of the workspace before a restore: refused, the linked directory untouched', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'linked');
  const tree = await snapshotTree(ws);
  writeFiles(ws.dir, { 'a.txt': 'broken\n' });
  const victim = victimDir(t);
  renameSync(ws.dir, `${ws.dir}.moved`);
  symlinkSync(victim, ws.dir);
  await t.rejects(restoreWorkspace(ws, tree), { name: 'GitError', message: /no longer the directory the engine made/ });
  t.equal(readFileSync(path.join(victim, 'notes.txt'), 'utf8'), 'notes\nuncommitted edit\n', "the linked directory's edit stays");
  t.equal(readFileSync(path.join(victim, 'untracked.txt'), 'utf8'), 'mine\n', 'and its untracked file');
  t.notOk(existsSync(path.join(victim, 'a.txt')), 'nothing of the tree was written there');
});

t.test('a link put in place of the workspace while the restore starts: git works on the directory the engine made', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'swapped');
  const tree = await snapshotTree(ws);
  writeFiles(ws.dir, { 'a.txt': 'broken\n', 'left.txt': 'x\n' });
  const victim = victimDir(t);
  // Swapped after the engine looked, before git runs: by a git that swaps, then runs the real
  // one. Swapped from the test after the call instead, git sometimes started first (another
  // process, on another core): then the race is the one inside git that docs/git.md leaves open.
  const swap = `case "$*" in *read-tree*) mv '${ws.dir}' '${ws.dir}.moved' && ln -s '${victim}' '${ws.dir}' ;; esac`;
  const bin = fakeGit(mkdtempSync(path.join(os.tmpdir(), 'engine-swap-git-')), 'bin', swap);
  const before = process.env.PATH;
  process.env.PATH = `${bin}:${before}`;
  try {
    await restoreWorkspace(ws, tree);
  } finally {
    process.env.PATH = before;
  }
  t.ok(lstatSync(ws.dir).isSymbolicLink(), 'the link was put in place before git ran');
  t.equal(readFileSync(path.join(victim, 'notes.txt'), 'utf8'), 'notes\nuncommitted edit\n', "the linked directory's edit stays");
  t.equal(readFileSync(path.join(victim, 'untracked.txt'), 'utf8'), 'mine\n', 'and its untracked file');
  t.notOk(existsSync(path.join(victim, 'a.txt')), 'nothing of the tree was written there');
  t.equal(readFileSync(path.join(`${ws.dir}.moved`, 'a.txt'), 'utf8'), 'a\n', "the engine's directory, moved, was put back");
  t.notOk(existsSync(path.join(`${ws.dir}.moved`, 'left.txt')));
});
