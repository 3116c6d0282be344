import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commitEnv, DEFAULT_IDENTITY, parseGitAuthor, resolveGitIdentity } from '../../engine/git/identity.js';
import { ensureGitRepo, findRepoRoot, headCommit, headSha, locateRepo, locateRepoAndHead, removeUntouchedRunBranch, treeHash } from '../../engine/git/repo.js';
import { GitError, isLockContention, retryOnLock, runGit } from '../../engine/git/run-git.js';
import { git, makeEmptyRepo, makeRepo, tempDir } from './fixtures/repo.js';

t.test('locateRepo: from the top, real paths, gitDir equal to commonDir', async (t) => {
  const repo = makeRepo(t, { 'sub/deep/f.txt': 'f\n' });
  const real = realpathSync(repo);
  const expected = { top: real, gitDir: path.join(real, '.git'), commonDir: path.join(real, '.git') };
  t.same(await locateRepo(repo), expected);
  const link = path.join(tempDir(t), 'link-to-repo');
  symlinkSync(repo, link);
  t.same(await locateRepo(link), expected, 'through a symlink: the real paths');
});

t.test('locateRepo from a subdirectory (engine run from src/, or --repo src) finds the same repo', async (t) => {
  // git prints --git-common-dir relative to the directory it ran in, not to the top.
  const repo = makeRepo(t, { 'sub/deep/f.txt': 'f\n' });
  const real = realpathSync(repo);
  const expected = { top: real, gitDir: path.join(real, '.git'), commonDir: path.join(real, '.git') };
  t.same(await locateRepo(path.join(repo, 'sub', 'deep')).catch((e: Error) => e.message), expected, 'two levels down');
  t.same(await locateRepo(path.join(repo, 'sub')).catch((e: Error) => e.message), expected, 'one level down');
  t.equal(await findRepoRoot(path.join(repo, 'sub')).catch((e: Error) => e.message), real);
  // Worse than an error: with a repository one level above (a dotfiles repo in $HOME, say),
  // the common dir silently becomes that other repository's.
  const outer = makeRepo(t, { 'outer.txt': 'o\n' });
  const inner = path.join(outer, 'proj');
  mkdirSync(inner);
  git(inner, 'init', '-q');
  mkdirSync(path.join(inner, 'src'));
  const ref = await locateRepo(path.join(inner, 'src'));
  t.equal(ref.commonDir, path.join(realpathSync(inner), '.git'), 'the common dir is the inner repo, not the outer one');
  // And in a linked worktree.
  const linked = path.join(tempDir(t), 'linked');
  git(repo, 'worktree', 'add', '-q', '-b', 'feature', linked);
  mkdirSync(path.join(linked, 'inner'));
  const lref = await locateRepo(path.join(linked, 'inner')).catch((e: Error) => e.message);
  t.same(lref, { top: realpathSync(linked), gitDir: realpathSync(git(linked, 'rev-parse', '--absolute-git-dir')), commonDir: path.join(real, '.git') });
});

t.test('locateRepo in a linked worktree: its own git dir, the main common dir', async (t) => {
  const main = makeRepo(t);
  const linked = path.join(tempDir(t), 'linked wt');
  git(main, 'worktree', 'add', '-q', '-b', 'feature', linked);
  const ref = await locateRepo(linked);
  t.equal(ref.top, realpathSync(linked));
  t.equal(ref.gitDir, realpathSync(git(linked, 'rev-parse', '--absolute-git-dir')));
  t.match(ref.gitDir, /\/\.git\/worktrees\//);
  t.equal(ref.commonDir, realpathSync(path.join(main, '.git')));
  t.equal(await headSha(ref), git(linked, 'rev-parse', 'HEAD'));
  git(linked, 'commit', '-q', '--allow-empty', '-m', 'on feature');
  t.equal(await headSha(ref), git(linked, 'rev-parse', 'feature'), 'HEAD of the linked checkout, not of main');
  t.not(await headSha(ref), git(main, 'rev-parse', 'HEAD'));
});

t.test('locateRepo refuses a plain directory', async (t) => {
  await t.rejects(locateRepo(tempDir(t)), /is not a git repository/);
});

t.test('locateRepo names a bare repository as bare', async (t) => {
  const bare = tempDir(t);
  git(bare, 'init', '-q', '--bare');
  // The message should say what is wrong (no working tree), not advise `git init` in a repository.
  await t.rejects(locateRepo(bare), /bare git repository/);
});

t.test('headSha: a commit, an unborn branch, a detached HEAD; treeHash', async (t) => {
  const empty = makeEmptyRepo(t);
  t.equal(await headSha(await locateRepo(empty)), null);
  const repo = makeRepo(t);
  const ref = await locateRepo(repo);
  t.equal(await headSha(ref), git(repo, 'rev-parse', 'HEAD'));
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'two');
  git(repo, 'checkout', '-q', '--detach', 'HEAD~1');
  t.equal(await headSha(ref), git(repo, 'rev-parse', 'HEAD'));
  t.equal(await treeHash({ gitDir: ref.gitDir }, 'HEAD'), git(repo, 'rev-parse', 'HEAD^{tree}'));
});

t.test('locateRepoAndHead: the repo and its HEAD commit from one git, as headSha gives it', async (t) => {
  const empty = makeEmptyRepo(t);
  t.same(await locateRepoAndHead(empty), { repo: await locateRepo(empty), head: null }, 'no commit yet');
  const repo = makeRepo(t);
  t.same(await locateRepoAndHead(path.join(repo)), { repo: await locateRepo(repo), head: git(repo, 'rev-parse', 'HEAD') });
  // A file of HEAD's name is never taken for it (nor refused as ambiguous), with a commit or without.
  writeFileSync(path.join(repo, 'HEAD^{commit}'), 'x\n');
  writeFileSync(path.join(empty, 'HEAD^{commit}'), 'x\n');
  t.equal((await locateRepoAndHead(repo)).head, git(repo, 'rev-parse', 'HEAD'));
  t.equal((await locateRepoAndHead(empty)).head, null);
  git(repo, 'checkout', '-q', '--orphan', 'unborn');
  t.equal((await locateRepoAndHead(repo)).head, null, 'an unborn branch');
  const linked = path.join(tempDir(t), 'linked');
  git(makeRepo(t), 'worktree', 'add', '-q', '-b', 'feature', linked);
  git(linked, 'commit', '-q', '--allow-empty', '-m', 'on feature');
  t.equal((await locateRepoAndHead(linked)).head, git(linked, 'rev-parse', 'HEAD'), "a linked checkout's own HEAD");
  await t.rejects(locateRepoAndHead(tempDir(t)), /is not a git repository/);
});

t.test("locateRepoAndHead: a HEAD whose object git cannot read is still a repository, its HEAD as headSha says", async (t) => {
  const repo = makeRepo(t);
  const sha = git(repo, 'rev-parse', 'HEAD');
  const object = path.join(repo, '.git', 'objects', sha.slice(0, 2), sha.slice(2));
  chmodSync(object, 0o644);
  writeFileSync(object, 'garbage');
  const ref = await locateRepo(repo);
  t.same(await locateRepoAndHead(repo), { repo: ref, head: await headSha(ref) }, 'not "not a git repository"');
});

t.test('removeUntouchedRunBranch: only a run branch nothing has checked out or moved since the engine made it', async (t) => {
  const repo = makeRepo(t);
  const base = git(repo, 'rev-parse', 'HEAD');
  const target = { gitDir: path.join(repo, '.git') };
  const make = (name: string) => git(repo, 'update-ref', '-m', 'engine: run branch', `refs/heads/${name}`, base, '');
  const exists = (name: string) => git(repo, 'branch', '--list', name) !== '';
  make('engine/a');
  t.equal(await removeUntouchedRunBranch(target, 'engine/a', base, 'test'), true);
  t.notOk(exists('engine/a'), 'untouched: removed');
  make('engine/b');
  const linked = path.join(tempDir(t), 'wt');
  git(repo, 'worktree', 'add', '-q', linked, 'engine/b');
  t.equal(await removeUntouchedRunBranch(target, 'engine/b', base, 'test'), false);
  t.ok(exists('engine/b'), 'checked out in a worktree: kept');
  make('engine/c');
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'two');
  git(repo, 'update-ref', '-m', 'moved', 'refs/heads/engine/c', git(repo, 'rev-parse', 'HEAD'));
  t.equal(await removeUntouchedRunBranch(target, 'engine/c', base, 'test'), false);
  t.ok(exists('engine/c'), 'moved: kept');
  git(repo, 'update-ref', '-m', 'back', 'refs/heads/engine/c', base);
  t.equal(await removeUntouchedRunBranch(target, 'engine/c', base, 'test'), false);
  t.ok(exists('engine/c'), 'moved and moved back to the same commit: kept (its reflog says so)');
  t.equal(await removeUntouchedRunBranch(target, 'engine/none', base, 'test'), false, 'no such branch');
});

t.test('ensureGitRepo initialises a new or empty dir and leaves a repo alone', async (t) => {
  const parent = tempDir(t);
  const fresh = path.join(parent, 'scratch', 'app');
  const made = await ensureGitRepo(fresh);
  t.same(made, { created: true, root: realpathSync(fresh) });
  t.ok(existsSync(path.join(fresh, '.git')));
  t.equal(git(fresh, 'symbolic-ref', 'HEAD'), 'refs/heads/main');
  t.same(await ensureGitRepo(fresh), { created: false, root: realpathSync(fresh) });
  const repo = makeRepo(t);
  t.equal((await ensureGitRepo(repo)).created, false);
  const nonEmpty = tempDir(t);
  writeFileSync(path.join(nonEmpty, 'x.txt'), 'x');
  await t.rejects(ensureGitRepo(nonEmpty), /not empty/);
  // A subdirectory of a repo is not its top: refused rather than nested.
  mkdirSync(path.join(repo, 'sub'));
  writeFileSync(path.join(repo, 'sub', 'y.txt'), 'y');
  await t.rejects(ensureGitRepo(path.join(repo, 'sub')), /not empty/);
});

t.test('identity: policy wins, then the repo config, then the default', async (t) => {
  const repo = makeRepo(t);
  const ref = await locateRepo(repo);
  t.same(await resolveGitIdentity(ref, 'Ada Lovelace <ada@example.com>'), { name: 'Ada Lovelace', email: 'ada@example.com' });
  const home = tempDir(t, 'engine-home-');
  const saved = process.env.HOME;
  const savedGlobal = process.env.GIT_CONFIG_GLOBAL;
  t.teardown(() => {
    process.env.HOME = saved;
    process.env.GIT_CONFIG_GLOBAL = savedGlobal;
  });
  process.env.HOME = home;
  // The user's own GIT_CONFIG_GLOBAL is honoured; unset, git reads ~/.gitconfig.
  delete process.env.GIT_CONFIG_GLOBAL;
  t.same(await resolveGitIdentity(ref, null), DEFAULT_IDENTITY, 'no identity configured anywhere');
  git(repo, 'config', 'user.name', 'Repo User');
  t.same(await resolveGitIdentity(ref, null), DEFAULT_IDENTITY, 'a name without an email is not an identity');
  git(repo, 'config', 'user.email', 'repo@example.com');
  t.same(await resolveGitIdentity(ref, null), { name: 'Repo User', email: 'repo@example.com' });
  t.same(await resolveGitIdentity(ref, 'P <p@x>'), { name: 'P', email: 'p@x' });
});

t.test("identity from the user's global config (a temp HOME)", async (t) => {
  const repo = makeRepo(t);
  const ref = await locateRepo(repo);
  const home = tempDir(t, 'engine-home-');
  writeFileSync(path.join(home, '.gitconfig'), '[user]\n\tname = Global Person\n\temail = global@example.com\n');
  const saved = process.env.HOME;
  const savedGlobal = process.env.GIT_CONFIG_GLOBAL;
  t.teardown(() => {
    process.env.HOME = saved;
    process.env.GIT_CONFIG_GLOBAL = savedGlobal;
  });
  process.env.HOME = home;
  // The user's own GIT_CONFIG_GLOBAL is honoured; unset, git reads ~/.gitconfig.
  delete process.env.GIT_CONFIG_GLOBAL;
  t.same(await resolveGitIdentity(ref, null), { name: 'Global Person', email: 'global@example.com' });
  git(repo, 'config', 'user.email', 'local@example.com');
  t.same(await resolveGitIdentity(ref, null), { name: 'Global Person', email: 'local@example.com' }, 'the repo config wins per key');
});

t.test('parseGitAuthor accepts "Name <email>" only', async (t) => {
  t.same(parseGitAuthor('  Engine Bot  <bot@localhost> '), { name: 'Engine Bot', email: 'bot@localhost' });
  for (const bad of ['Engine', '<e@x>', 'A <b', 'A <b c@x>', 'A <b@x> trailing', 'A\nB <b@x>']) {
    t.throws(() => parseGitAuthor(bad), /git\.author must look like/, bad);
  }
});

// A hostile review: `git.author: ". <a@b>"` passed the schema, and the first checkpoint (after
// the worker had worked) ended the run with exit 70: git refuses a name of only the characters
// it strips. parseGitAuthor refuses exactly what git refuses, asked of git itself.
t.test('parseGitAuthor refuses a name git refuses, and takes one git takes', async (t) => {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'engine-ident-'));
  execFileSync('git', ['init', '-q', repo]);
  const tree = execFileSync('git', ['-C', repo, 'mktree'], { input: '', encoding: 'utf8' }).trim();
  for (const name of ['.', '. .', ',;:', `"'`, '\\', '.A.', "O'Brien", 'A', 'a.b', '; x ;']) {
    const env = { ...process.env, GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: 'a@b' };
    const gitTakes = spawnSync('git', ['-C', repo, 'commit-tree', tree, '-m', 'x'], { env, encoding: 'utf8' }).status === 0;
    let weTake = true;
    try {
      parseGitAuthor(`${name} <a@b>`);
    } catch {
      weTake = false;
    }
    t.equal(weTake, gitTakes, `${JSON.stringify(name)}: git ${gitTakes ? 'takes' : 'refuses'} it`);
  }
  t.throws(() => parseGitAuthor('. <a@b>'), /only characters git strips from a name/);
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

t.test('runGit: failures carry args, exit code and stderr; okCodes are answers', async (t) => {
  const repo = makeRepo(t);
  const target = { gitDir: path.join(repo, '.git'), workTree: repo };
  const err = await runGit(target, ['rev-parse', '--verify', 'no-such-ref']).catch((e: unknown) => e);
  t.type(err, GitError);
  t.same((err as GitError).args, ['rev-parse', '--verify', 'no-such-ref']);
  t.equal((err as GitError).exitCode, 128);
  t.match((err as GitError).stderr, /no-such-ref|Needed a single revision/);
  t.equal((await runGit(target, ['rev-parse', '--verify', '-q', 'no-such-ref'], { okCodes: [1] })).exitCode, 1);
  // A git dir that is not one is an error, not a discovery of some other repository.
  const plain = tempDir(t);
  await t.rejects(runGit({ gitDir: path.join(plain, '.git'), workTree: plain }, ['status']), GitError);
});

t.test('lock contention is told apart from other git failures', async (t) => {
  const lock = new GitError('x', ['add'], 128, "fatal: Unable to create '/r/.git/index.lock': File exists.");
  const ref = new GitError('x', ['update-ref'], 128, "fatal: cannot lock ref 'refs/heads/engine/a': Unable to create '/r/.git/refs/heads/engine/a.lock': File exists.");
  // A compare-and-swap that lost is an answer, not contention: retrying cannot cure it.
  const cas = new GitError('x', ['update-ref'], 128, "fatal: cannot lock ref 'refs/heads/engine/a': is at 1111111111111111111111111111111111111111 but expected 2222222222222222222222222222222222222222");
  t.notOk(isLockContention(cas));
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
  await t.rejects(
    retryOnLock(async () => {
      throw other;
    }),
    /x/,
  );
});

t.test('headCommit: HEAD and its tree in one process; null on an unborn branch, detached HEAD included', async (t) => {
  const empty = makeEmptyRepo(t);
  t.equal(await headCommit(await locateRepo(empty)), null);
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const ref = await locateRepo(repo);
  t.same(await headCommit(ref), { sha: git(repo, 'rev-parse', 'HEAD'), tree: git(repo, 'rev-parse', 'HEAD^{tree}') });
  // A file named like the revision in the checkout does not confuse it.
  writeFileSync(path.join(repo, 'HEAD^{tree}'), 'x\n');
  git(repo, 'checkout', '-q', '--detach');
  t.same(await headCommit(ref), { sha: git(repo, 'rev-parse', 'HEAD'), tree: git(repo, 'rev-parse', 'HEAD^{tree}') });
});
