import t from 'tap';
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { createRunWorktree, removeRunWorktree, mergeHint, headSha, findRepoRoot } from '../../engine/git/index.js';
import { fingerprintCheckout, git, makeRepo, tempDir, writeFiles } from './fixtures/repo.js';

t.test('creates branch engine/<id> from HEAD in .engine/worktrees/<id>', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', 'dir with space/ü.txt': 'u\n' });
  const head = git(repo, 'rev-parse', 'HEAD');
  const r = await createRunWorktree({ repo, runId: 'run-1' });
  t.equal(r.branch, 'engine/run-1');
  t.equal(r.worktree, path.join(realpathSync(repo), '.engine', 'worktrees', 'run-1'));
  t.equal(r.baseSha, head);
  t.equal(r.dirtyUserTree, false);
  t.equal(git(repo, 'rev-parse', 'engine/run-1'), head);
  t.equal(git(r.worktree, 'symbolic-ref', 'HEAD'), 'refs/heads/engine/run-1');
  t.equal(readFileSync(path.join(r.worktree, 'dir with space/ü.txt'), 'utf8'), 'u\n');
  t.match(readFileSync(path.join(repo, '.git/info/exclude'), 'utf8'), /^\/\.engine\/$/m);
  t.equal(git(repo, 'status', '--porcelain'), '', 'the worktree does not show up in the user tree');
  t.equal(mergeHint(r.branch), 'git merge engine/run-1');
});

t.test('the user checkout is untouched, dirty state reported', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', 'b.txt': 'b\n' });
  writeFiles(repo, { 'a.txt': 'changed\n', 'new untracked.txt': 'x\n' });
  git(repo, 'add', 'a.txt');
  writeFiles(repo, { 'b.txt': 'unstaged\n' });
  const before = fingerprintCheckout(repo);
  const r = await createRunWorktree({ repo, runId: 'r2' });
  t.equal(r.dirtyUserTree, true);
  t.equal(fingerprintCheckout(repo), before, 'HEAD, index and files unchanged');
  t.equal(readFileSync(path.join(r.worktree, 'a.txt'), 'utf8'), 'a\n', 'the run starts from HEAD, not the dirty tree');
  t.notOk(existsSync(path.join(r.worktree, 'new untracked.txt')));
});

t.test('a repo without commits gets an orphan branch and an empty worktree', async (t) => {
  const repo = tempDir(t);
  git(repo, 'init', '-q');
  writeFiles(repo, { 'user.txt': 'mine\n' });
  const before = fingerprintCheckout(repo);
  const r = await createRunWorktree({ repo, runId: 'o1' });
  t.equal(r.baseSha, null);
  t.equal(r.dirtyUserTree, true);
  t.equal(await headSha(r.worktree), null, 'unborn branch');
  t.equal(git(r.worktree, 'symbolic-ref', 'HEAD'), 'refs/heads/engine/o1');
  t.equal(git(r.worktree, 'ls-files'), '', 'empty index');
  t.notOk(existsSync(path.join(r.worktree, 'user.txt')));
  t.equal(git(repo, 'for-each-ref', '--format=%(refname)'), '', 'no ref created before the first checkpoint');
  t.equal(fingerprintCheckout(repo), before);
});

t.test('a detached HEAD is a valid base', async (t) => {
  const repo = makeRepo(t);
  writeFiles(repo, { 'second.txt': '2\n' });
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'second');
  const first = git(repo, 'rev-parse', 'HEAD~1');
  git(repo, 'checkout', '-q', '--detach', first);
  const r = await createRunWorktree({ repo, runId: 'd1' });
  t.equal(r.baseSha, first);
  t.equal(git(repo, 'rev-parse', 'HEAD'), first, 'the user stays detached where they were');
  t.throws(() => git(repo, 'symbolic-ref', '-q', 'HEAD'));
});

t.test('works from a repo that is itself a linked worktree', async (t) => {
  const main = makeRepo(t);
  const linked = path.join(tempDir(t), 'linked');
  git(main, 'worktree', 'add', '-q', '-b', 'feature', linked);
  const r = await createRunWorktree({ repo: linked, runId: 'w1' });
  t.equal(r.worktree, path.join(realpathSync(linked), '.engine', 'worktrees', 'w1'));
  t.equal(r.baseSha, git(linked, 'rev-parse', 'HEAD'));
  t.match(readFileSync(path.join(main, '.git/info/exclude'), 'utf8'), /\/\.engine\//, 'exclude goes to the common dir');
  t.equal(git(linked, 'status', '--porcelain'), '');
  t.equal(git(linked, 'symbolic-ref', 'HEAD'), 'refs/heads/feature');
});

t.test('two runs on one repo at once', async (t) => {
  const repo = makeRepo(t);
  const ids = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
  const runs = await Promise.all(ids.map((runId) => createRunWorktree({ repo, runId })));
  t.same(new Set(runs.map((r) => r.worktree)).size, ids.length);
  for (const r of runs) t.equal(git(r.worktree, 'symbolic-ref', '--short', 'HEAD'), r.branch);
  const empty = tempDir(t);
  git(empty, 'init', '-q');
  const orphans = await Promise.all(['o1', 'o2', 'o3'].map((runId) => createRunWorktree({ repo: empty, runId })));
  for (const r of orphans) t.equal(git(r.worktree, 'symbolic-ref', '--short', 'HEAD'), r.branch);
});

t.test('refuses a path that is not a repo, and an existing branch', async (t) => {
  const dir = tempDir(t);
  await t.rejects(createRunWorktree({ repo: dir, runId: 'x' }), /not a git repository/);
  await t.rejects(findRepoRoot(dir), /not a git repository/);
  const repo = makeRepo(t);
  git(repo, 'branch', 'engine/taken');
  await t.rejects(createRunWorktree({ repo, runId: 'taken' }), /already exists/);
});

t.test('removeRunWorktree removes the worktree and the branch', async (t) => {
  const repo = makeRepo(t);
  const r = await createRunWorktree({ repo, runId: 'gone' });
  writeFiles(r.worktree, { 'junk.txt': 'j\n' });
  await removeRunWorktree({ repo, worktree: r.worktree, branch: r.branch });
  t.notOk(existsSync(r.worktree));
  t.equal(git(repo, 'branch', '--list', 'engine/gone'), '');
  t.notMatch(git(repo, 'worktree', 'list'), /gone/);
});

t.test('a repo whose path has spaces and unicode', async (t) => {
  const parent = tempDir(t);
  const repo = path.join(parent, 'my repö dir');
  mkdirSync(repo);
  git(repo, 'init', '-q');
  writeFiles(repo, { 'f ü.txt': 'f\n' });
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'c');
  const r = await createRunWorktree({ repo, runId: 'sp' });
  t.equal(readFileSync(path.join(r.worktree, 'f ü.txt'), 'utf8'), 'f\n');
  t.equal(r.dirtyUserTree, false);
});

t.test('a worktree that cannot be added leaves no branch behind', async (t) => {
  const repo = makeRepo(t);
  writeFiles(repo, { '.engine/worktrees/busy/occupied.txt': 'x\n' });
  await t.rejects(createRunWorktree({ repo, runId: 'busy' }), /already exists/);
  t.equal(git(repo, 'branch', '--list', 'engine/busy'), '');
});
