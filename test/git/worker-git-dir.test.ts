import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { keepCheckpointIndex, resetWorkerGitDir } from '../../engine/git/worker-git-dir.js';
import { gitStats } from '../../engine/git/run-git.js';
import { snapshotTree } from '../../engine/git/snapshot.js';
import { git, makeRepo, makeWorkspace } from './fixtures/repo.js';

// The reviewer's `.git` is written again before a review: HEAD at the last checkpoint, its
// tree in the index, and the milestone's new files added as intended, so that `git diff HEAD`
// shows their content. A few new files are named to git as arguments; many (past what a
// command line takes) on its stdin. Both ways must give the same index.

/** What the worker's own git shows of the workspace: the names `git diff HEAD` lists. */
function diffNames(dir: string): string[] {
  return execFileSync('git', ['diff', 'HEAD', '--name-only'], { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir } }).split('\n').filter(Boolean).sort();
}

for (const count of [3, 1200]) {
  t.test(`${count} new files are in the reviewer's git diff HEAD`, async (t) => {
    const repo = makeRepo(t, { 'a.txt': 'a\n' });
    const { ws } = await makeWorkspace(t, repo, `rev-${count}`);
    const head = git(repo, 'rev-parse', 'HEAD');
    mkdirSync(path.join(ws.dir, 'new'));
    // Long names: 1,200 of them are well past the 32 KiB given as arguments.
    const names = Array.from({ length: count }, (_, i) => `new/a-file-with-a-rather-long-name-to-fill-the-command-line-${i}.txt`);
    for (const n of names) writeFileSync(path.join(ws.dir, n), `${n}\n`);
    writeFileSync(path.join(ws.dir, 'a.txt'), 'changed\n');
    t.equal(await resetWorkerGitDir(ws, head, names), null, 'the .git is written again');
    t.same(diffNames(ws.dir), [...names, 'a.txt'].sort(), 'every new file and the edited one');
  });
}

/** What the worker's own git shows as the change: `git status --porcelain`. */
function statusOf(dir: string): string {
  return execFileSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir } });
}

t.test("the checkpoint's own index makes the reviewer's, with no read-tree; another commit's is not taken", async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', 'dir/b.txt': 'b\n' });
  const { ws } = await makeWorkspace(t, repo, 'kept');
  const head = git(repo, 'rev-parse', 'HEAD');
  const headTree = git(repo, 'rev-parse', 'HEAD^{tree}');
  // The engine's index as its last tree was written: the checkpoint's when that tree is committed.
  t.equal(await snapshotTree(ws), headTree, 'the snapshot of the untouched workspace is the commit\'s tree');
  keepCheckpointIndex(ws, head, headTree);
  t.equal(ws.checkpointIndex?.commit, head, 'kept for the commit of that tree');
  t.same(ws.checkpointIndex?.bytes, readFileSync(path.join(ws.gitDir, 'index')), 'the engine index as it was read');

  // The next milestone changes a file, removes one and adds one; the engine snapshots it (its index moves on).
  writeFileSync(path.join(ws.dir, 'a.txt'), 'changed\n');
  execFileSync('rm', [path.join(ws.dir, 'dir', 'b.txt')]);
  writeFileSync(path.join(ws.dir, 'c.txt'), 'new\n');
  t.not(await snapshotTree(ws), headTree);
  const before = gitStats.processes;
  t.equal(await resetWorkerGitDir(ws, head, ['c.txt']), null);
  t.equal(gitStats.processes - before, 1, 'one git: the add of the new file, no read-tree');
  t.same(diffNames(ws.dir), ['a.txt', 'c.txt', 'dir/b.txt'], "git diff HEAD: the whole milestone's change");
  t.same(statusOf(ws.dir).split('\n').filter(Boolean).sort(), [' A c.txt', ' D dir/b.txt', ' M a.txt'], 'git status: the same, nothing staged');

  // A checkpoint index of another commit (a commit of another tree): not taken, read-tree makes it.
  keepCheckpointIndex(ws, head, 'f'.repeat(40));
  t.equal(ws.checkpointIndex, undefined, 'an index of another tree is not kept');
  ws.checkpointIndex = { commit: 'e'.repeat(40), bytes: Buffer.from('not an index') };
  const again = gitStats.processes;
  t.equal(await resetWorkerGitDir(ws, head, ['c.txt']), null);
  t.equal(gitStats.processes - again, 2, 'read-tree and the add');
  t.same(diffNames(ws.dir), ['a.txt', 'c.txt', 'dir/b.txt'], 'the same view');
});
