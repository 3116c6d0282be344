import t from 'tap';
import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureGitRepo, parseGitAuthor, resolveGitIdentity, commitEnv, DEFAULT_IDENTITY } from '../../engine/git/index.js';
import { GitError, isLockContention, retryOnLock } from '../../engine/git/run-git.js';
import { git, makeRepo, tempDir } from './fixtures/repo.js';

t.test('ensureGitRepo initialises a new or empty dir and leaves a repo alone', async (t) => {
  const parent = tempDir(t);
  const fresh = path.join(parent, 'scratch', 'app');
  const made = await ensureGitRepo(fresh);
  t.same(made, { created: true, root: realpathSync(fresh) });
  t.ok(existsSync(path.join(fresh, '.git')));
  t.same(await ensureGitRepo(fresh), { created: false, root: realpathSync(fresh) });
  const repo = makeRepo(t);
  t.equal((await ensureGitRepo(repo)).created, false);
  const nonEmpty = tempDir(t);
  writeFileSync(path.join(nonEmpty, 'x.txt'), 'x');
  await t.rejects(ensureGitRepo(nonEmpty), /not empty/);
});

t.test('identity: policy wins, then the repo config, then the default', async (t) => {
  const repo = makeRepo(t);
  t.same(await resolveGitIdentity(repo, 'Ada Lovelace <ada@example.com>'), { name: 'Ada Lovelace', email: 'ada@example.com' });
  t.same(await resolveGitIdentity(repo, null), DEFAULT_IDENTITY, 'no identity configured anywhere');
  git(repo, 'config', 'user.name', 'Repo User');
  t.same(await resolveGitIdentity(repo, null), DEFAULT_IDENTITY, 'a name without an email is not an identity');
  git(repo, 'config', 'user.email', 'repo@example.com');
  t.same(await resolveGitIdentity(repo, null), { name: 'Repo User', email: 'repo@example.com' });
  t.same(await resolveGitIdentity(repo, 'P <p@x>'), { name: 'P', email: 'p@x' });
});

t.test('parseGitAuthor accepts "Name <email>" only', async (t) => {
  t.same(parseGitAuthor('  Engine Bot  <bot@localhost> '), { name: 'Engine Bot', email: 'bot@localhost' });
  for (const bad of ['Engine', '<e@x>', 'A <b', 'A <b c@x>', 'A <b@x> trailing', 'A\nB <b@x>']) {
    t.throws(() => parseGitAuthor(bad), /git\.author must look like/, bad);
  }
});

t.test('commitEnv sets author and committer to one identity and date', async (t) => {
  t.same(commitEnv({ name: 'N', email: 'e@x' }, new Date(1500.9 * 1000)), {
    GIT_AUTHOR_NAME: 'N',
    GIT_AUTHOR_EMAIL: 'e@x',
    GIT_AUTHOR_DATE: '@1500 +0000',
    GIT_COMMITTER_NAME: 'N',
    GIT_COMMITTER_EMAIL: 'e@x',
    GIT_COMMITTER_DATE: '@1500 +0000',
  });
});

t.test('lock contention is told apart from other git failures', async (t) => {
  const lock = new GitError('x', ['add'], 128, "fatal: Unable to create '/r/.git/index.lock': File exists.");
  const ref = new GitError('x', ['update-ref'], 128, "fatal: cannot lock ref 'refs/heads/engine/a': ...");
  const other = new GitError('x', ['add'], 128, 'fatal: pathspec did not match any files');
  t.ok(isLockContention(lock));
  t.ok(isLockContention(ref));
  t.notOk(isLockContention(other));
  t.notOk(isLockContention(new Error('index.lock')));
  let calls = 0;
  const value = await retryOnLock(async () => {
    calls += 1;
    if (calls < 3) throw lock;
    return 'done';
  });
  t.equal(value, 'done');
  t.equal(calls, 3);
  await t.rejects(retryOnLock(async () => { throw other; }), /x/);
});
