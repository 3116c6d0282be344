import t from 'tap';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCheckpoint, createRunWorktree, headSha, treeHash, normalizeMessage } from '../../engine/git/index.js';
import { git, makeRepo, tempDir, writeFiles } from './fixtures/repo.js';

const author = { name: 'Engine', email: 'engine@localhost' };
const date = new Date('2024-05-01T12:00:00Z');

t.test('commits every change on the run branch with the given identity and date', async (t) => {
  const repo = makeRepo(t, { 'keep.txt': 'k\n', 'edit.txt': 'old\n', 'drop.txt': 'd\n' });
  const userHead = git(repo, 'rev-parse', 'HEAD');
  const run = await createRunWorktree({ repo, runId: 'cp1' });
  writeFiles(run.worktree, { 'edit.txt': 'new\n', 'sub dir/nëw file.txt': 'n\n' });
  rmSync(path.join(run.worktree, 'drop.txt'));
  const cp = await createCheckpoint({ worktree: run.worktree, message: 'engine run cp1 milestone 1', author, date });
  t.ok(cp);
  t.equal(await headSha(run.worktree), cp!.sha);
  t.equal(git(repo, 'rev-parse', 'engine/cp1'), cp!.sha);
  t.equal(await treeHash(repo, cp!.sha), cp!.tree);
  t.equal(git(repo, 'rev-parse', `${cp!.sha}^`), userHead, 'parent is the base');
  t.equal(git(repo, 'log', '-1', '--format=%an <%ae>|%cn <%ce>|%at|%ct|%s', cp!.sha), `Engine <engine@localhost>|Engine <engine@localhost>|${date.getTime() / 1000}|${date.getTime() / 1000}|engine run cp1 milestone 1`);
  t.same(git(repo, 'ls-tree', '-r', '-z', '--name-only', cp!.sha).split('\0').filter(Boolean), ['edit.txt', 'keep.txt', 'sub dir/nëw file.txt']);
  t.equal(git(run.worktree, 'status', '--porcelain'), '', 'worktree clean after the checkpoint');
  t.equal(git(repo, 'rev-parse', 'HEAD'), userHead, 'user HEAD unchanged');
});

t.test('null when nothing changed', async (t) => {
  const repo = makeRepo(t);
  const run = await createRunWorktree({ repo, runId: 'cp2' });
  t.equal(await createCheckpoint({ worktree: run.worktree, message: 'm', author, date }), null);
  writeFiles(run.worktree, { 'README.md': 'hello\n' }); // same content rewritten
  t.equal(await createCheckpoint({ worktree: run.worktree, message: 'm', author, date }), null);
  t.equal(await headSha(run.worktree), run.baseSha);
  const empty = tempDir(t);
  git(empty, 'init', '-q');
  const orphan = await createRunWorktree({ repo: empty, runId: 'cp2o' });
  t.equal(await createCheckpoint({ worktree: orphan.worktree, message: 'm', author, date }), null);
  t.equal(await headSha(orphan.worktree), null);
});

t.test('the first checkpoint on an orphan branch is its root commit', async (t) => {
  const repo = tempDir(t);
  git(repo, 'init', '-q');
  const run = await createRunWorktree({ repo, runId: 'root' });
  writeFiles(run.worktree, { 'src/index.js': 'console.log(1)\n' });
  const cp = await createCheckpoint({ worktree: run.worktree, message: 'm1', author, date });
  t.ok(cp);
  t.equal(git(repo, 'rev-list', '--parents', 'engine/root'), cp!.sha, 'one commit, no parent');
  writeFiles(run.worktree, { 'src/index.js': 'console.log(2)\n' });
  const cp2 = await createCheckpoint({ worktree: run.worktree, message: 'm2', author, date });
  t.equal(git(repo, 'rev-parse', `${cp2!.sha}^`), cp!.sha);
  t.throws(() => git(repo, 'rev-parse', '--verify', '-q', 'HEAD'), 'the user branch is still unborn');
});

t.test('same inputs, same date, same identity: same commit id in two separate repos', async (t) => {
  const shas: string[] = [];
  const rootShas: string[] = [];
  for (const n of [1, 2]) {
    const repo = makeRepo(t, { 'a.txt': 'a\n' });
    const run = await createRunWorktree({ repo, runId: `det-${n}` });
    writeFiles(run.worktree, { 'b.txt': 'b\n', 'a.txt': 'a2\n' });
    shas.push((await createCheckpoint({ worktree: run.worktree, message: 'engine run X milestone 1', author, date }))!.sha);
    const empty = tempDir(t);
    git(empty, 'init', '-q');
    const orphan = await createRunWorktree({ repo: empty, runId: `deto-${n}` });
    writeFiles(orphan.worktree, { 'x.txt': 'x\n' });
    rootShas.push((await createCheckpoint({ worktree: orphan.worktree, message: 'root', author, date }))!.sha);
  }
  t.equal(shas[0], shas[1]);
  t.equal(rootShas[0], rootShas[1]);
  t.not(shas[0], rootShas[0]);
});

t.test('no hook runs: repo hooks, a worker-written hooks dir named by core.hooksPath', async (t) => {
  const repo = makeRepo(t);
  const marker = path.join(tempDir(t), 'hook-ran');
  const hook = `#!/bin/sh\necho "$0" >> '${marker}'\nexit 1\n`;
  const installHooks = (dir: string): void => {
    mkdirSync(dir, { recursive: true });
    for (const name of ['pre-commit', 'post-commit', 'commit-msg', 'prepare-commit-msg', 'reference-transaction', 'post-checkout', 'post-index-change']) {
      writeFileSync(path.join(dir, name), hook);
      chmodSync(path.join(dir, name), 0o755);
    }
  };
  installHooks(path.join(repo, '.git', 'hooks'));
  const run = await createRunWorktree({ repo, runId: 'hooks' });
  // A worker writes a hooks dir in the worktree and the repo config points at it.
  installHooks(path.join(run.worktree, '.githooks'));
  git(repo, 'config', 'core.hooksPath', path.join(run.worktree, '.githooks'));
  writeFiles(run.worktree, { 'work.txt': 'w\n' });
  const cp = await createCheckpoint({ worktree: run.worktree, message: 'm', author, date });
  t.ok(cp, 'committed despite hooks that would refuse');
  t.notOk(existsSync(marker), existsSync(marker) ? readFileSync(marker, 'utf8') : 'no hook ran');
  t.equal(git(repo, 'config', 'core.hooksPath'), path.join(run.worktree, '.githooks'), 'user config left as it was');
});

t.test('commit signing configured in the repo is not used', async (t) => {
  const repo = makeRepo(t);
  git(repo, 'config', 'commit.gpgsign', 'true');
  git(repo, 'config', 'gpg.program', '/nonexistent/gpg');
  const run = await createRunWorktree({ repo, runId: 'sign' });
  writeFiles(run.worktree, { 'f.txt': 'f\n' });
  const cp = await createCheckpoint({ worktree: run.worktree, message: 'm', author, date });
  t.ok(cp);
  t.notMatch(git(repo, 'cat-file', 'commit', cp!.sha), /gpgsig/);
});

t.test('normalizeMessage', async (t) => {
  t.equal(normalizeMessage('a  \r\nb\n\n'), 'a\nb\n');
  t.equal(normalizeMessage('   '), 'engine checkpoint\n');
});

t.test('two runs checkpoint at once, each on its own branch', async (t) => {
  const repo = makeRepo(t);
  const custom = tempDir(t);
  const [a, b] = await Promise.all([
    createRunWorktree({ repo, runId: 'pa' }),
    createRunWorktree({ repo, runId: 'pb', branch: 'engine/custom-pb', worktreesDir: custom }),
  ]);
  t.equal(b!.worktree, path.join(custom, 'pb'));
  t.equal(b!.branch, 'engine/custom-pb');
  writeFiles(a!.worktree, { 'a.txt': 'from a\n' });
  writeFiles(b!.worktree, { 'b.txt': 'from b\n' });
  const [ca, cb] = await Promise.all([
    createCheckpoint({ worktree: a!.worktree, message: 'a', author, date }),
    createCheckpoint({ worktree: b!.worktree, message: 'b', author, date }),
  ]);
  t.equal(git(repo, 'rev-parse', 'engine/pa'), ca!.sha);
  t.equal(git(repo, 'rev-parse', 'engine/custom-pb'), cb!.sha);
  t.equal(git(repo, 'ls-tree', '--name-only', ca!.sha), 'README.md\na.txt');
  t.equal(git(repo, 'ls-tree', '--name-only', cb!.sha), 'README.md\nb.txt');
});
