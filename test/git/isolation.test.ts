import t from 'tap';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { commitCheckpoint } from '../../engine/git/checkpoint.js';
import { diffTreeEntries } from '../../engine/git/changes.js';
import { restoreWorkspace } from '../../engine/git/restore.js';
import { snapshotTree } from '../../engine/git/snapshot.js';
import { workspaceTarget, type Workspace } from '../../engine/git/workspace.js';
import { checkEntries } from '../../engine/governance/check-entries.js';
import { changedKeys, engineGit, git, gitWith, makeRepo, makeWorkspace, plantCommand, readLog, snapshotFiles, tempDir, writeFiles } from './fixtures/repo.js';

// What a hostile worker can do with the workspace's own `.git`, and what the engine must not
// do in the user's repository: every case plants a command that appends to a log, and the
// log must stay empty through the engine's calls; a control shows the plant is live.

const author = { name: 'Engine', email: 'engine@localhost' };
const date = new Date('2024-05-01T12:00:00Z');
const message = { title: 'm', runId: 'r', milestone: '1', step: 'checkpoint' };

/** The user's git dir by bytes, minus what the engine may write: new objects and its own branch (and that branch's log). */
function userGitState(repo: string, branch: string): Map<string, string> {
  const files = snapshotFiles(path.join(repo, '.git'), (rel) => rel === `refs/heads/${branch}` || rel === `logs/refs/heads/${branch}` || rel === 'refs/heads/engine' || rel === 'logs/refs/heads/engine');
  // Objects are written, never rewritten: keep only the ones that were there (checked below).
  return files;
}

/** What changed between two userGitState maps, other than objects that are new. */
function changedExceptNewObjects(before: Map<string, string>, after: Map<string, string>): string[] {
  return changedKeys(before, after).filter((k) => !(k.startsWith('objects/') && !before.has(k)));
}

async function fullCycle(ws: Workspace, files: Record<string, string>, parent: string | null): Promise<string> {
  writeFiles(ws.dir, files);
  const tree = await snapshotTree(ws);
  const sha = await commitCheckpoint({ ws, tree, parent, message, author, date });
  writeFiles(ws.dir, { 'scratch.txt': 'x\n' });
  await restoreWorkspace(ws, tree);
  return sha;
}

t.test("the user's HEAD, index, config, hooks and other refs are byte-identical after a whole cycle", async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', 'src/b.txt': 'b\n' });
  git(repo, 'branch', 'feature');
  git(repo, 'tag', 'v1');
  git(repo, 'config', 'user.name', 'Someone');
  git(repo, 'pack-refs', '--all');
  git(repo, 'branch', 'loose');
  // A stale index: a refresh (what a plain `git status` does) would rewrite it.
  writeFiles(repo, { 'a.txt': 'a\n' });
  utimesSync(path.join(repo, 'a.txt'), new Date(1e12), new Date(1e12));
  writeFiles(repo, { 'untracked.txt': 'u\n' });
  const before = userGitState(repo, 'engine/cyc');
  const tree = snapshotFiles(repo, (rel) => rel === '.git');
  const { ws, baseSha } = await makeWorkspace(t, repo, 'cyc');
  const sha = await fullCycle(ws, { 'c.txt': 'c\n' }, baseSha);
  t.equal(git(repo, 'rev-parse', 'engine/cyc'), sha);
  t.same(changedExceptNewObjects(before, userGitState(repo, 'engine/cyc')), [], 'nothing but new objects and refs/heads/engine/cyc');
  t.same(changedKeys(tree, snapshotFiles(repo, (rel) => rel === '.git')), [], 'the working tree is untouched');
  t.equal(git(repo, 'cat-file', '-t', sha), 'commit', 'the objects are in the user repo');
  t.equal(git(repo, 'show', `${sha}:c.txt`), 'c');
  git(repo, 'fsck', '--no-dangling', '--connectivity-only');
  // Control: the index really was stale, so an engine refresh would have been seen.
  const index = readFileSync(path.join(repo, '.git', 'index'));
  git(repo, 'status', '--porcelain');
  t.not(Buffer.compare(index, readFileSync(path.join(repo, '.git', 'index'))), 0, 'a user `git status` rewrites the index the engine left alone');
});

t.test("the worker's .git works for status, log, commit and branch, and none of it reaches the engine", async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const base = git(repo, 'rev-parse', 'HEAD');
  const { ws } = await makeWorkspace(t, repo, 'own');
  writeFiles(ws.dir, { 'a.txt': 'worker\n', 'new.txt': 'n\n' });
  t.match(git(ws.dir, 'status', '--porcelain'), /M a\.txt\n\?\? new\.txt$/);
  t.equal(git(ws.dir, 'log', '--format=%H'), base, 'the worker sees the history');
  git(ws.dir, 'add', '-A');
  git(ws.dir, 'commit', '-q', '-m', 'worker commit');
  git(ws.dir, 'branch', 'side');
  git(ws.dir, 'checkout', '-q', '-b', 'elsewhere');
  const workerCommit = git(ws.dir, 'rev-parse', 'HEAD');
  t.equal(git(ws.dir, 'rev-parse', 'HEAD~1'), base);
  t.equal(git(ws.dir, 'status', '--porcelain'), '');
  const userBefore = userGitState(repo, 'engine/own');
  const tree = await snapshotTree(ws);
  const sha = await commitCheckpoint({ ws, tree, parent: base, message, author, date });
  t.equal(git(repo, 'rev-parse', `${sha}^`), base, 'the checkpoint sits on the base, not on the worker commit');
  t.not(sha, workerCommit);
  t.equal(git(repo, 'show', `${sha}:a.txt`), 'worker');
  t.throws(() => git(repo, 'rev-parse', '--verify', '-q', 'side'), 'the worker branch is not in the user repo');
  t.throws(() => git(repo, 'cat-file', '-e', workerCommit), 'nor its commit');
  t.same(changedExceptNewObjects(userBefore, userGitState(repo, 'engine/own')), [], 'user repo as it was');
});

t.test("a planted filter, hooks, fsmonitor and hooksPath in the worker's .git run nothing the engine does", async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const base = git(repo, 'rev-parse', 'HEAD');
  const { ws } = await makeWorkspace(t, repo, 'plant');
  const log = path.join(tempDir(t), 'ran.log');
  const bin = tempDir(t);
  const evil = plantCommand(bin, 'evil', log);
  const own = path.join(ws.dir, '.git');
  writeFileSync(path.join(own, 'config'), `[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tfsmonitor = ${evil}\n\thooksPath = ${path.join(ws.dir, '.githooks')}\n[filter "evil"]\n\tclean = ${evil} clean\n\tsmudge = ${evil} smudge\n\trequired = true\n[diff "evil"]\n\ttextconv = ${evil} textconv\n[merge "evil"]\n\tdriver = ${evil} merge\n`);
  for (const hook of ['pre-commit', 'post-commit', 'post-checkout', 'post-index-change', 'reference-transaction', 'pre-auto-gc']) {
    plantCommand(path.join(own, 'hooks'), hook, log);
    plantCommand(path.join(ws.dir, '.githooks'), hook, log);
  }
  mkdirSync(path.join(own, 'info'), { recursive: true });
  writeFileSync(path.join(own, 'info', 'attributes'), '* filter=evil diff=evil merge=evil\n');
  writeFiles(ws.dir, { '.gitattributes': '* filter=evil diff=evil merge=evil\n', 'a.txt': 'changed\n', 'b.txt': 'b\n' });
  const tree = await snapshotTree(ws);
  const sha = await commitCheckpoint({ ws, tree, parent: base, message, author, date });
  await restoreWorkspace(ws, base);
  await restoreWorkspace(ws, tree);
  await diffTreeEntries(workspaceTarget(ws), base, tree);
  t.equal(readLog(log), '', 'nothing planted ran');
  t.equal(git(repo, 'show', `${sha}:a.txt`), 'changed', 'content stored as written, unfiltered');
  t.equal(readFileSync(path.join(ws.dir, 'a.txt'), 'utf8'), 'changed\n', 'and checked out unfiltered');
  // Control: the same plant is live for git run the worker's way.
  writeFiles(ws.dir, { 'c.txt': 'c\n' });
  try {
    git(ws.dir, 'add', 'c.txt');
  } catch {
    // a hook or fsmonitor may fail the command; it ran all the same
  }
  t.match(readLog(log), /evil/, 'the plant runs when git reads the worker .git');
});

t.test('with the worker .git removed, or replaced by a file or a link to the user repo, the engine is unaffected', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const userGit = path.join(repo, '.git');
  for (const kind of ['removed', 'gitfile', 'symlink', 'directory of another repo'] as const) {
    const runId = `g-${kind.replace(/ /g, '-')}`;
    const { ws, baseSha } = await makeWorkspace(t, repo, runId);
    const own = path.join(ws.dir, '.git');
    rmSync(own, { recursive: true, force: true });
    if (kind === 'gitfile') writeFileSync(own, `gitdir: ${userGit}\n`);
    if (kind === 'symlink') symlinkSync(userGit, own);
    if (kind === 'directory of another repo') {
      const other = makeRepo(t, { 'other.txt': 'o\n' });
      git(ws.dir, 'init', '-q', '--separate-git-dir', path.join(other, '.git'));
    }
    const before = userGitState(repo, `engine/${runId}`);
    const files = snapshotFiles(repo, (rel) => rel === '.git');
    writeFiles(ws.dir, { 'w.txt': `${kind}\n` });
    const tree = await snapshotTree(ws);
    t.same(engineGit(ws, 'ls-tree', '-r', '--name-only', tree).split('\n'), ['a.txt', 'w.txt'], `${kind}: the snapshot holds the files, no .git`);
    const sha = await commitCheckpoint({ ws, tree, parent: baseSha, message, author, date });
    writeFiles(ws.dir, { 'junk.txt': 'j\n' });
    await restoreWorkspace(ws, tree);
    t.notOk(existsSync(path.join(ws.dir, 'junk.txt')), `${kind}: restore works`);
    t.equal(git(repo, 'rev-parse', `engine/${runId}`), sha);
    t.equal(git(repo, 'rev-parse', 'HEAD'), baseSha, `${kind}: user HEAD unchanged`);
    t.same(changedExceptNewObjects(before, userGitState(repo, `engine/${runId}`)), [], `${kind}: user git dir unchanged`);
    t.same(changedKeys(files, snapshotFiles(repo, (rel) => rel === '.git')), [], `${kind}: user files unchanged`);
  }
});

t.test("a filter defined in the user's global config is not run by the engine", async (t) => {
  const home = tempDir(t, 'engine-home-');
  const log = path.join(tempDir(t), 'ran.log');
  const evil = plantCommand(tempDir(t), 'evil', log);
  const filterConfig = `[filter "lfs"]\n\tclean = ${evil} clean\n\tsmudge = ${evil} smudge\n\trequired = true\n[core]\n\tfsmonitor = ${evil}\n\thooksPath = ${path.dirname(evil)}\n[diff]\n\texternal = ${evil}\n`;
  writeFileSync(path.join(home, '.gitconfig'), filterConfig);
  mkdirSync(path.join(home, '.config', 'git'), { recursive: true });
  writeFileSync(path.join(home, '.config', 'git', 'config'), filterConfig);
  writeFileSync(path.join(home, '.config', 'git', 'attributes'), '* filter=lfs\n');
  const globalFile = path.join(home, 'global.gitconfig');
  writeFileSync(globalFile, filterConfig);
  const repo = makeRepo(t, { '.gitattributes': '*.bin filter=lfs diff=lfs\n', 'a.bin': 'payload\n', 'plain.txt': 'p\n' });
  const base = git(repo, 'rev-parse', 'HEAD');
  // Control: git run with this global config runs the filter.
  gitWith({ HOME: home, GIT_CONFIG_GLOBAL: globalFile }, repo, 'cat-file', '--filters', `${base}:a.bin`);
  t.match(readLog(log), /evil smudge/, 'the global filter is live');
  rmSync(log);
  const saved = { HOME: process.env.HOME, GIT_CONFIG_GLOBAL: process.env.GIT_CONFIG_GLOBAL, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, GIT_CONFIG_NOSYSTEM: process.env.GIT_CONFIG_NOSYSTEM };
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  process.env.HOME = home;
  process.env.XDG_CONFIG_HOME = path.join(home, '.config');
  process.env.GIT_CONFIG_GLOBAL = globalFile;
  delete process.env.GIT_CONFIG_NOSYSTEM;
  const { ws } = await makeWorkspace(t, repo, 'glob');
  t.equal(readFileSync(path.join(ws.dir, 'a.bin'), 'utf8'), 'payload\n');
  writeFiles(ws.dir, { 'a.bin': 'payload 2\n', 'new.bin': 'n\n' });
  const tree = await snapshotTree(ws);
  const sha = await commitCheckpoint({ ws, tree, parent: base, message, author, date });
  await restoreWorkspace(ws, base);
  await restoreWorkspace(ws, tree);
  t.equal(readLog(log), '', 'no global filter, fsmonitor, hook or external diff ran');
  t.equal(git(repo, 'show', `${sha}:a.bin`), 'payload 2');
  t.equal(git(repo, 'show', `${sha}:new.bin`), 'n');
});

t.test('GIT_DIR, GIT_WORK_TREE and GIT_INDEX_FILE in the environment do not redirect the engine', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const decoy = makeRepo(t, { 'decoy.txt': 'd\n' });
  const saved = { GIT_DIR: process.env.GIT_DIR, GIT_WORK_TREE: process.env.GIT_WORK_TREE, GIT_INDEX_FILE: process.env.GIT_INDEX_FILE };
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const decoyBefore = snapshotFiles(path.join(decoy, '.git'));
  process.env.GIT_DIR = path.join(decoy, '.git');
  process.env.GIT_WORK_TREE = decoy;
  process.env.GIT_INDEX_FILE = path.join(decoy, '.git', 'index');
  const { ws, baseSha } = await makeWorkspace(t, repo, 'env');
  const sha = await fullCycle(ws, { 'b.txt': 'b\n' }, baseSha);
  for (const k of Object.keys(saved)) delete process.env[k];
  t.equal(git(repo, 'rev-parse', 'engine/env'), sha);
  t.same(engineGit(ws, 'ls-tree', '--name-only', sha).split('\n'), ['a.txt', 'b.txt']);
  t.same(changedKeys(decoyBefore, snapshotFiles(path.join(decoy, '.git'))), [], 'the decoy repo is untouched');
});

t.test('a nested repository the worker created with a commit is a gitlink to govern', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'nest');
  git(ws.dir, 'init', '-q', 'with-commit');
  writeFiles(path.join(ws.dir, 'with-commit'), { 'x.txt': 'x\n' });
  git(path.join(ws.dir, 'with-commit'), 'add', '-A');
  git(path.join(ws.dir, 'with-commit'), 'commit', '-q', '-m', 'x');
  const tree = await snapshotTree(ws);
  const entries = await diffTreeEntries(workspaceTarget(ws), git(repo, 'rev-parse', 'HEAD^{tree}'), tree);
  t.same(entries.map((e) => [e.path, e.mode]), [['with-commit', '160000']]);
  t.same(checkEntries(entries, new Map()), [{ path: 'with-commit', rule: 'gitlink', pattern: null }]);
  await restoreWorkspace(ws, git(repo, 'rev-parse', `${baseSha}^{tree}`));
  t.notOk(existsSync(path.join(ws.dir, 'with-commit')), 'restore removes it');
});

t.test('snapshotTree does not fail on a nested repository without a commit (git init in a subdirectory)', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'nest0');
  git(ws.dir, 'init', '-q', 'fresh');
  writeFiles(ws.dir, { 'fresh/x.txt': 'x\n', 'b.txt': 'b\n' });
  // A worker (or a scaffolding tool it runs) may `git init` a subdirectory; the snapshot must
  // still be taken so the change can be governed and rolled back, not end the run with an
  // engine error.
  const tree = await snapshotTree(ws).catch((e: Error) => e);
  t.type(tree, 'string', tree instanceof Error ? tree.message : 'a tree id');
});

// Each nested repository without a commit costs the snapshot a failed `git add` before it is
// excluded: at the 101st the engine gave up (exit 70, on every resume too), and one whose path
// held a newline was never recognised in git's message (exit 70).
t.test('snapshotTree: any number of nested repositories without a commit, a newline in a path too, each a gitlink finding', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'nestmany');
  for (let i = 0; i < 105; i++) git(ws.dir, 'init', '-q', `n/r${i}`);
  git(ws.dir, 'init', '-q', 'odd\nname');
  writeFiles(ws.dir, { 'b.txt': 'b\n' });
  const before = ws.findings.length;
  const tree = await snapshotTree(ws).catch((e: Error) => e);
  t.type(tree, 'string', tree instanceof Error ? tree.message : 'a tree id');
  const found = ws.findings.slice(before).filter((f) => f.kind === 'gitlink').map((f) => f.path);
  t.equal(found.length, 106, 'each is a gitlink finding');
  t.ok(found.includes('odd\nname'), 'the one with a newline too');
});

t.test("a config planted in the engine's git dir (the workspace's sibling <dir>.git) is not read by snapshotTree", async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'sib');
  const log = path.join(tempDir(t), 'ran.log');
  const evil = plantCommand(tempDir(t), 'evil', log);
  // Without the OS sandbox the worker can write here: the path is its own cwd plus `.git`.
  t.equal(ws.gitDir, `${ws.dir}.git`);
  writeFileSync(path.join(ws.gitDir, 'config'), `[filter "evil"]\n\tclean = ${evil} clean\n`);
  writeFiles(ws.dir, { '.gitattributes': '* filter=evil\n', 'b.txt': 'b\n' });
  await snapshotTree(ws).catch(() => null);
  t.equal(readLog(log), '', 'the planted clean filter did not run');
});
