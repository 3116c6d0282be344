import t from 'tap';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createWorkspace, engineGitDirOf, matchShared, mergeHint, openWorkspace, removeWorkspace, reopenWorkspace, repoWorkspacesDir, workspacesRoot, workspaceHomesOf, workspaceNameOf } from '../../engine/git/workspace.js';
import { headSha, locateRepo } from '../../engine/git/repo.js';
import { restoreWorkspace } from '../../engine/git/restore.js';
import { snapshotTree } from '../../engine/git/snapshot.js';
import { resetEngineGitDir } from '../../engine/git/workspace.js';
import { engineGit, fingerprintCheckout, git, makeEmptyRepo, makeRepo, makeWorkspace, plantCommand, readLog, tempDir, writeFiles } from './fixtures/repo.js';

const inside = (parent: string, child: string): boolean => {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

t.test('creates the workspace outside the repo, with branch engine/<id> at HEAD', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', 'dir with space/ü.txt': 'u\n' });
  const head = git(repo, 'rev-parse', 'HEAD');
  const root = tempDir(t, 'engine-ws-');
  const { ws, baseSha, dirtyUserTree } = await createWorkspace({ repo: await locateRepo(repo), runId: 'run-1', root, share: [] });
  t.equal(ws.branch, 'engine/run-1');
  t.equal(ws.dir, path.join(repoWorkspacesDir(root, realpathSync(repo)), 'run-1'));
  t.match(path.basename(path.dirname(ws.dir)), new RegExp(`^${path.basename(repo)}-[0-9a-f]{8}$`));
  t.equal(ws.gitDir, `${ws.dir}.git`);
  t.notOk(inside(repo, ws.dir), 'the workspace is not inside the repo');
  t.notOk(inside(repo, ws.gitDir), 'nor is the engine git dir');
  t.notOk(inside(ws.dir, ws.gitDir), 'the engine git dir is not inside the workspace');
  t.equal(baseSha, head);
  t.equal(dirtyUserTree, false);
  t.equal(git(repo, 'rev-parse', 'engine/run-1'), head);
  t.equal(readFileSync(path.join(ws.dir, 'dir with space/ü.txt'), 'utf8'), 'u\n');
  t.equal(git(repo, 'status', '--porcelain', '--untracked-files=all'), '', 'nothing shows up in the user tree');
  t.equal(git(repo, 'symbolic-ref', 'HEAD'), 'refs/heads/main', 'the user stays on their branch');
  t.equal(mergeHint(ws.branch), 'git merge engine/run-1');
  // The worker's own .git sees the same start.
  t.equal(git(ws.dir, 'rev-parse', '--show-toplevel'), ws.dir, 'git in the workspace finds the workspace, not the user repo');
  t.equal(git(ws.dir, 'symbolic-ref', 'HEAD'), 'refs/heads/engine/run-1');
  t.equal(git(ws.dir, 'rev-parse', 'HEAD'), head);
  t.equal(git(ws.dir, 'status', '--porcelain', '--untracked-files=all'), '', 'the worker sees a clean checkout');
  t.equal(await snapshotTree(ws), git(repo, 'rev-parse', 'HEAD^{tree}'), 'the engine sees the base tree');
});

t.test('workspacesRoot and repoWorkspacesDir', async (t) => {
  t.equal(workspacesRoot({ ENGINE_HOME: '/e', XDG_STATE_HOME: '/x', HOME: '/h' }, '/over'), '/over');
  t.equal(workspacesRoot({ ENGINE_HOME: '/e', XDG_STATE_HOME: '/x', HOME: '/h' }), '/e/workspaces');
  t.equal(workspacesRoot({ XDG_STATE_HOME: '/x', HOME: '/h' }), '/x/engine/workspaces');
  t.equal(workspacesRoot({ XDG_STATE_HOME: 'relative', HOME: '/h' }), '/h/.local/state/engine/workspaces', 'a relative XDG_STATE_HOME is ignored');
  t.equal(workspacesRoot({ HOME: '/h' }), '/h/.local/state/engine/workspaces');
  const a = repoWorkspacesDir('/r', '/x/my repo');
  t.match(path.basename(a), /^my_repo-[0-9a-f]{8}$/);
  t.not(repoWorkspacesDir('/r', '/y/my repo'), a, 'two repos of one name do not share a folder');
  t.equal(repoWorkspacesDir('/r', '/x/my repo'), a);
  t.equal(engineGitDirOf('/w/run'), '/w/run.git');
});

t.test("a repo's folder name fits 255 bytes whatever the repo's name: the name is cut, the hash kept", async (t) => {
  // A repo folder of 247 to 255 characters made `<name>-<hash8>` too long a name: exit 70 (ENAMETOOLONG).
  for (const n of [1, 246, 247, 250, 255]) {
    const name = path.basename(repoWorkspacesDir('/r', `/x/${'R'.repeat(n)}`));
    t.ok(Buffer.byteLength(name) <= 255, `${n}: ${name.length}`);
    t.match(name, new RegExp(`^R{${Math.min(n, 246)}}-[0-9a-f]{8}$`), `${n}`);
  }
  t.not(repoWorkspacesDir('/r', `/x/${'R'.repeat(250)}`), repoWorkspacesDir('/r', `/x/${'R'.repeat(251)}`), 'two names cut to one do not share a folder');
  const wide = path.basename(repoWorkspacesDir('/r', `/x/${'é'.repeat(127)}`));
  t.ok(Buffer.byteLength(wide) <= 255, 'a name of wide characters fits in bytes too');
});

t.test('a dirty user tree is reported, not part of the run, and left untouched', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', 'b.txt': 'b\n' });
  writeFiles(repo, { 'a.txt': 'changed\n', 'new untracked.txt': 'x\n' });
  git(repo, 'add', 'a.txt');
  writeFiles(repo, { 'b.txt': 'unstaged\n' });
  const before = fingerprintCheckout(repo);
  const { ws, dirtyUserTree } = await makeWorkspace(t, repo, 'r2');
  t.equal(dirtyUserTree, true);
  t.equal(fingerprintCheckout(repo), before, 'HEAD, index and files unchanged');
  t.equal(readFileSync(path.join(ws.dir, 'a.txt'), 'utf8'), 'a\n', 'the run starts from HEAD, not the dirty tree');
  t.equal(readFileSync(path.join(ws.dir, 'b.txt'), 'utf8'), 'b\n');
  t.notOk(existsSync(path.join(ws.dir, 'new untracked.txt')));
});

t.test('an unborn repo gives an empty workspace and no ref before the first checkpoint', async (t) => {
  const repo = makeEmptyRepo(t);
  writeFiles(repo, { 'user.txt': 'mine\n' });
  const before = fingerprintCheckout(repo);
  const { ws, baseSha, dirtyUserTree } = await makeWorkspace(t, repo, 'o1');
  t.equal(baseSha, null);
  t.equal(dirtyUserTree, true);
  t.equal(git(repo, 'for-each-ref', '--format=%(refname)'), '', 'no ref created');
  t.notOk(existsSync(path.join(ws.dir, 'user.txt')));
  t.equal(git(ws.dir, 'symbolic-ref', 'HEAD'), 'refs/heads/engine/o1', 'the worker sees an unborn branch');
  t.equal(git(ws.dir, 'ls-files'), '');
  t.equal(git(ws.dir, 'status', '--porcelain'), '');
  t.equal(await snapshotTree(ws), '4b825dc642cb6eb9a060e54bf8d69288fbee4904', 'empty tree');
  t.equal(fingerprintCheckout(repo), before);
});

t.test('a detached HEAD is a valid base and the user stays detached', async (t) => {
  const repo = makeRepo(t);
  writeFiles(repo, { 'second.txt': '2\n' });
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'second');
  const first = git(repo, 'rev-parse', 'HEAD~1');
  git(repo, 'checkout', '-q', '--detach', first);
  const { ws, baseSha } = await makeWorkspace(t, repo, 'd1');
  t.equal(baseSha, first);
  t.equal(git(repo, 'rev-parse', 'engine/d1'), first);
  t.notOk(existsSync(path.join(ws.dir, 'second.txt')));
  t.equal(git(repo, 'rev-parse', 'HEAD'), first);
  t.throws(() => git(repo, 'symbolic-ref', '-q', 'HEAD'), 'still detached');
});

t.test('from a linked worktree of the user: branch in the common refs, their checkout untouched', async (t) => {
  const main = makeRepo(t);
  const linked = path.join(tempDir(t), 'linked');
  git(main, 'worktree', 'add', '-q', '-b', 'feature', linked);
  writeFiles(linked, { 'f.txt': 'feature\n' });
  git(linked, 'add', '-A');
  git(linked, 'commit', '-q', '-m', 'feature');
  const ref = await locateRepo(linked);
  t.equal(ref.top, realpathSync(linked));
  t.equal(ref.commonDir, realpathSync(path.join(main, '.git')));
  t.equal(ref.gitDir, realpathSync(path.join(main, '.git', 'worktrees', 'linked')));
  t.not(ref.gitDir, ref.commonDir);
  const beforeMain = fingerprintCheckout(main);
  const { ws, baseSha } = await makeWorkspace(t, linked, 'w1');
  t.equal(baseSha, git(linked, 'rev-parse', 'HEAD'));
  t.equal(readFileSync(path.join(ws.dir, 'f.txt'), 'utf8'), 'feature\n');
  t.equal(git(main, 'rev-parse', 'engine/w1'), baseSha, 'the branch is visible from the main checkout');
  t.equal(readFileSync(path.join(ws.gitDir, 'objects', 'info', 'alternates'), 'utf8'), `${path.join(ref.commonDir, 'objects')}\n`);
  t.equal(git(linked, 'symbolic-ref', 'HEAD'), 'refs/heads/feature');
  t.equal(git(linked, 'status', '--porcelain'), '');
  t.equal(fingerprintCheckout(main), beforeMain);
});

t.test('several runs on one repo at once', async (t) => {
  const repo = makeRepo(t);
  const root = tempDir(t, 'engine-ws-');
  const ref = await locateRepo(repo);
  const ids = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
  const runs = await Promise.all(ids.map((runId) => createWorkspace({ repo: ref, runId, root, share: [] })));
  t.equal(new Set(runs.map((r) => r.ws.dir)).size, ids.length);
  for (const r of runs) t.equal(git(repo, 'rev-parse', r.ws.branch), r.baseSha);
  const empty = makeEmptyRepo(t);
  const eref = await locateRepo(empty);
  const orphans = await Promise.all(['o1', 'o2', 'o3'].map((runId) => createWorkspace({ repo: eref, runId, root, share: [] })));
  for (const r of orphans) t.equal(git(r.ws.dir, 'symbolic-ref', '--short', 'HEAD'), r.ws.branch);
});

t.test('refuses a path that is not a repo, a taken branch and an existing workspace', async (t) => {
  const dir = tempDir(t);
  await t.rejects(locateRepo(dir), /not a git repository/);
  const repo = makeRepo(t);
  const root = tempDir(t, 'engine-ws-');
  const ref = await locateRepo(repo);
  git(repo, 'branch', 'engine/taken');
  await t.rejects(createWorkspace({ repo: ref, runId: 'taken', root, share: [] }), /engine\/taken/);
  t.equal(git(repo, 'rev-parse', 'engine/taken'), git(repo, 'rev-parse', 'HEAD'), 'the existing branch is left as it was');
  await createWorkspace({ repo: ref, runId: 'twice', root, share: [] });
  await t.rejects(createWorkspace({ repo: ref, runId: 'twice', root, share: [] }), /already exists/);
  const empty = makeEmptyRepo(t);
  git(empty, 'commit', '-q', '--allow-empty', '-m', 'x');
  git(empty, 'branch', 'engine/e1');
  git(empty, 'checkout', '-q', '--orphan', 'fresh');
  await t.rejects(createWorkspace({ repo: await locateRepo(empty), runId: 'e1', root, share: [] }), /already exists/, 'unborn HEAD, taken branch');
});

t.test('removeWorkspace removes the workspace and the engine git dir, keeps the branch', async (t) => {
  const repo = makeRepo(t);
  const { ws } = await makeWorkspace(t, repo, 'gone');
  writeFiles(ws.dir, { 'deep/er/junk.txt': 'j\n' });
  chmodSync(path.join(ws.dir, 'deep', 'er'), 0o500);
  chmodSync(path.join(ws.dir, 'deep'), 0o500);
  removeWorkspace(ws.dir);
  t.notOk(existsSync(ws.dir));
  t.notOk(existsSync(ws.gitDir));
  t.equal(git(repo, 'rev-parse', 'engine/gone'), git(repo, 'rev-parse', 'HEAD'));
  t.doesNotThrow(() => removeWorkspace(ws.dir), 'already gone is fine');
});

t.test('a repo whose path has spaces and unicode', async (t) => {
  const parent = tempDir(t);
  const repo = path.join(parent, 'my repö dir');
  mkdirSync(repo);
  git(repo, 'init', '-q');
  writeFiles(repo, { 'f ü.txt': 'f\n' });
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'c');
  const { ws, dirtyUserTree } = await makeWorkspace(t, repo, 'sp');
  t.equal(readFileSync(path.join(ws.dir, 'f ü.txt'), 'utf8'), 'f\n');
  t.equal(dirtyUserTree, false);
  t.match(path.basename(path.dirname(ws.dir)), /^my_rep_?_dir-[0-9a-f]{8}$/);
});

t.test('openWorkspace and reopenWorkspace give the same handle', async (t) => {
  const repo = makeRepo(t);
  const { ws } = await makeWorkspace(t, repo, 'again', ['cache']);
  const opened = openWorkspace({ dir: ws.dir, repo: ws.repo, branch: ws.branch, shared: ws.shared });
  // The engine git dir's identity is claimed by whoever reopens it, once it is checked (resume).
  const { gitDirId, ...handle } = ws;
  t.ok(gitDirId, 'a new workspace claims its engine git dir');
  t.same(opened, handle);
  t.same(await reopenWorkspace({ dir: ws.dir, repoTop: repo, branch: ws.branch, shared: ws.shared }), handle);
});

t.test('matchShared: ignored paths matching the globs, never .git, .engine or ..', async (t) => {
  t.same(matchShared(['node_modules/', '.env', 'dist/', 'pkg/a/node_modules/', ''], ['node_modules', '**/node_modules', '.env']), ['.env', 'node_modules', 'pkg/a/node_modules']);
  t.same(matchShared(['.git/', 'sub/.git/', '.engine/', '.engine/runs/', 'a/../b/'], ['**']), []);
  t.same(matchShared(['x/'], []), []);
  t.same(matchShared(['b/', 'a/', 'a'], ['*']), ['a', 'b'], 'sorted, no duplicates');
});

t.test('shared paths: linked in, excluded from snapshots, kept by restore, never matched when tracked', async (t) => {
  const repo = makeRepo(t, { '.gitignore': 'node_modules/\n.env\n', 'src/a.js': 'a\n', 'tracked-cache/x': 'x\n' });
  writeFiles(repo, { 'node_modules/dep/index.js': 'dep\n', '.env': 'SECRET=1\n', 'not-ignored.txt': 'n\n' });
  const baseTree = git(repo, 'rev-parse', 'HEAD^{tree}');
  const { ws } = await makeWorkspace(t, repo, 'sh', ['node_modules', '.env', 'not-ignored.txt', 'tracked-cache']);
  t.same(ws.shared, ['.env', 'node_modules'], 'only ignored paths are shared');
  for (const p of ws.shared) {
    t.ok(lstatSync(path.join(ws.dir, p)).isSymbolicLink(), `${p} is a link`);
    t.equal(readlinkSync(path.join(ws.dir, p)), path.join(realpathSync(repo), p));
  }
  t.notOk(existsSync(path.join(ws.dir, 'not-ignored.txt')));
  t.equal(readFileSync(path.join(ws.dir, 'node_modules/dep/index.js'), 'utf8'), 'dep\n');
  t.equal(await snapshotTree(ws), baseTree, 'the links are not part of the snapshot');
  // Even with the workspace's .gitignore gone the links stay out (the engine's own excludes).
  writeFiles(ws.dir, { '.gitignore': '' });
  const tree = await snapshotTree(ws);
  t.same(engineGit(ws, 'ls-tree', '-r', '--name-only', tree).split('\n'), ['.gitignore', 'src/a.js', 'tracked-cache/x']);
  await restoreWorkspace(ws, baseTree);
  t.ok(lstatSync(path.join(ws.dir, 'node_modules')).isSymbolicLink(), 'restore keeps the link');
  t.ok(lstatSync(path.join(ws.dir, '.env')).isSymbolicLink());
  t.equal(readFileSync(path.join(repo, 'node_modules/dep/index.js'), 'utf8'), 'dep\n', 'and what it points at');
  t.equal(readFileSync(path.join(repo, '.env'), 'utf8'), 'SECRET=1\n');
  t.equal(git(ws.dir, 'status', '--porcelain'), '', 'the worker does not see the links as changes either');
});

t.test('resetEngineGitDir removes a planted config, attributes, hooks, commondir and alternates', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'reset');
  const log = path.join(tempDir(t), 'ran.log');
  const evil = plantCommand(tempDir(t), 'evil', log);
  const other = makeRepo(t, { 'other.txt': 'o\n' });
  writeFileSync(path.join(ws.gitDir, 'config'), `[filter "x"]\n\tclean = ${evil} clean\n\tsmudge = ${evil} smudge\n[core]\n\tfsmonitor = ${evil}\n\thooksPath = ${path.dirname(evil)}\n`);
  mkdirSync(path.join(ws.gitDir, 'info'), { recursive: true });
  writeFileSync(path.join(ws.gitDir, 'info', 'attributes'), '* filter=x\n');
  mkdirSync(path.join(ws.gitDir, 'hooks'), { recursive: true });
  plantCommand(path.join(ws.gitDir, 'hooks'), 'post-index-change', log);
  writeFileSync(path.join(ws.gitDir, 'commondir'), path.join(other, '.git'));
  writeFileSync(path.join(ws.gitDir, 'objects', 'info', 'alternates'), `${path.join(other, '.git', 'objects')}\n`);
  writeFileSync(path.join(ws.gitDir, 'HEAD'), 'ref: refs/heads/main\n');
  writeFiles(ws.dir, { 'b.txt': 'b\n' });
  resetEngineGitDir(ws);
  for (const gone of ['config', 'info/attributes', 'hooks', 'commondir']) t.notOk(existsSync(path.join(ws.gitDir, gone)), `${gone} removed`);
  t.equal(readFileSync(path.join(ws.gitDir, 'HEAD'), 'utf8'), 'ref: refs/heads/engine/reset\n');
  t.equal(readFileSync(path.join(ws.gitDir, 'objects', 'info', 'alternates'), 'utf8'), `${path.join(realpathSync(repo), '.git', 'objects')}\n`);
  t.ok(existsSync(path.join(ws.gitDir, 'index')), 'the index stays');
  const tree = await snapshotTree(ws);
  t.equal(readLog(log), '', 'nothing planted ran');
  t.equal(engineGit(ws, 'cat-file', 'blob', `${tree}:b.txt`), 'b', 'content stored unfiltered');
  t.equal(await headSha(ws.repo), git(repo, 'rev-parse', 'HEAD'));
});

t.test("resetEngineGitDir: a HEAD planted as a link is replaced, the file it names untouched", async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'headlink');
  const victim = path.join(tempDir(t), 'bashrc');
  writeFileSync(victim, 'the user file\n');
  rmSync(path.join(ws.gitDir, 'HEAD'));
  symlinkSync(victim, path.join(ws.gitDir, 'HEAD'));
  resetEngineGitDir(ws);
  t.equal(readFileSync(victim, 'utf8'), 'the user file\n', 'not written through the link');
  t.ok(lstatSync(path.join(ws.gitDir, 'HEAD')).isFile(), 'HEAD is a file of its own again');
  t.equal(readFileSync(path.join(ws.gitDir, 'HEAD'), 'utf8'), 'ref: refs/heads/engine/headlink\n');
});

t.test('a workspace whose branch is taken leaves no directory behind', async (t) => {
  // The branch is created last (create-only); when that fails the workspace and the engine
  // git dir made before it stay, and the caller has no handle to remove them.
  const repo = makeRepo(t);
  const root = tempDir(t, 'engine-ws-');
  git(repo, 'branch', 'engine/busy');
  await t.rejects(createWorkspace({ repo: await locateRepo(repo), runId: 'busy', root, share: [] }));
  const dir = path.join(repoWorkspacesDir(root, realpathSync(repo)), 'busy');
  t.notOk(existsSync(dir), 'no workspace left');
  t.notOk(existsSync(engineGitDirOf(dir)), 'no engine git dir left');
});

t.test('workspaceNameOf: a workspace, its engine git dir and its homes name the same workspace', async (t) => {
  const ws = '20261202-101010-000-abcdef';
  for (const entry of [ws, path.basename(engineGitDirOf(`/w/${ws}`)), path.basename(workspaceHomesOf(`/w/${ws}`))]) t.equal(workspaceNameOf(entry), ws, entry);
  t.equal(workspaceNameOf('run.github'), 'run.github', 'only the whole suffix counts');
});
