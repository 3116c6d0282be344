import t from 'tap';
import type { Test } from 'tap';
import { appendFileSync, chmodSync, linkSync, lstatSync, mkdirSync, renameSync, rmSync, symlinkSync, utimesSync, truncateSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { forgetSnapshot, snapshotTree } from '../../engine/git/snapshot.js';
import { restoreWorkspace } from '../../engine/git/restore.js';
import { gitStats } from '../../engine/git/run-git.js';
import { judgeEntry, walkWorkspace, type FileStat, type StatNow } from '../../engine/git/stat-record.js';
import type { Workspace } from '../../engine/git/workspace.js';
import { makeRepo, makeWorkspace, testEnv, truthTree, writeFiles } from './fixtures/repo.js';

// A step that changed nothing is not snapshotted again: a stat check of the workspace against
// the engine's index decides. Governance reads the tree it returns, so a change must never be
// missed. Every test here is an attack on that check: the workspace is changed in a way a
// stat cache could overlook, and the tree the engine reports must be the tree of a fresh
// index (`git add --all` from nothing), never the tree of before.

/** snapshotTree, with the number of git processes it started. */
async function snap(ws: Workspace): Promise<{ tree: string; git: number }> {
  const before = gitStats.processes;
  const tree = await snapshotTree(ws);
  return { tree, git: gitStats.processes - before };
}

const files = { '.gitignore': 'build/\n*.log\n', 'a.txt': 'aaaa\n', 'src/b.txt': 'bbbb\n', 'src/deep/c.txt': 'cccc\n', 'run.sh': '#!/bin/sh\n', 'link': '' };

async function workspace(t: Test, name: string): Promise<{ ws: Workspace; tree: string }> {
  const repo = makeRepo(t, files);
  rmSync(path.join(repo, 'link'));
  symlinkSync('a.txt', path.join(repo, 'link'));
  const { ws } = await makeWorkspace(t, repo, name);
  // Directories and ignored files that exist before the step: an empty one, one holding only ignored files.
  mkdirSync(path.join(ws.dir, 'empty'));
  writeFiles(ws.dir, { 'logs/x.log': 'ignored\n', 'build/out.bin': 'o\n' });
  const first = await snap(ws);
  t.equal(first.tree, truthTree(ws), 'the first snapshot is the truth');
  // Leave the racy window: what is written now is later than anything recorded.
  await new Promise((r) => setTimeout(r, 20));
  const again = await snap(ws);
  t.equal(again.tree, first.tree);
  t.equal(again.git, 0, 'nothing changed: no git process');
  return { ws, tree: first.tree };
}

/** After `attack`, the engine reports the truth, and the truth differs from the tree before. */
async function expectSeen(t: Test, name: string, attack: (ws: Workspace) => void | Promise<void>): Promise<void> {
  const { ws, tree } = await workspace(t, name);
  await attack(ws);
  const after = await snap(ws);
  const want = truthTree(ws);
  t.not(want, tree, 'the attack changed what git would stage');
  t.equal(after.tree, want, 'the engine saw the change');
  t.ok(after.git > 0, 'by snapshotting again');
  const quiet = await snap(ws);
  t.equal(quiet.tree, want);
}

const at = (ws: Workspace, rel: string) => path.join(ws.dir, rel);

/** New content of the same size with the old mtime put back: only ctime and the content differ. */
function rewriteKeepingStat(file: string, text: string): void {
  const st = lstatSync(file);
  writeFileSync(file, text);
  utimesSync(file, st.atime, st.mtime);
}

t.test('same size, mtime put back (touch -d)', async (t) => {
  await expectSeen(t, 'touchd', (ws) => rewriteKeepingStat(at(ws, 'a.txt'), 'AAAA\n'));
});

t.test('a change right after the snapshot, in the same tick, same size, mtime put back: every time', async (t) => {
  const { ws } = await workspace(t, 'racy');
  for (let i = 0; i < 25; i++) {
    const tree = await snapshotTree(ws);
    rewriteKeepingStat(at(ws, 'src/b.txt'), `${String(i).padStart(4, '0')}\n`);
    const after = await snapshotTree(ws);
    t.equal(after, truthTree(ws), `round ${i}: the engine saw it`);
    t.not(after, tree);
  }
});

t.test('the same, with nothing recorded (a resumed engine): git alone would miss it, the engine makes it hash again', async (t) => {
  const { ws } = await workspace(t, 'racy-fresh');
  for (let i = 0; i < 15; i++) {
    const tree = await snapshotTree(ws);
    forgetSnapshot(ws);
    rewriteKeepingStat(at(ws, 'a.txt'), `${String(i).padStart(4, '0')}\n`);
    const after = await snapshotTree(ws);
    t.equal(after, truthTree(ws), `round ${i}: the engine saw it`);
    t.not(after, tree);
  }
});

t.test('a new file in a new directory', async (t) => {
  await expectSeen(t, 'newdir', (ws) => writeFiles(ws.dir, { 'src/deep/new/dir/n.txt': 'n\n' }));
});

t.test('a new file in a directory that was empty', async (t) => {
  await expectSeen(t, 'inempty', (ws) => writeFiles(ws.dir, { 'empty/n.txt': 'n\n' }));
});

t.test('a new file beside ignored ones, in a directory git had no file of', async (t) => {
  await expectSeen(t, 'inlogs', (ws) => writeFiles(ws.dir, { 'logs/evil.sh': 'x\n' }));
});

t.test('a deleted file', async (t) => {
  await expectSeen(t, 'deleted', (ws) => rmSync(at(ws, 'src/deep/c.txt')));
});

t.test('a file renamed over another of the same size', async (t) => {
  await expectSeen(t, 'renamed', (ws) => renameSync(at(ws, 'a.txt'), at(ws, 'src/b.txt')));
});

t.test('a file replaced by a file of the same size, same mtime, through a rename', async (t) => {
  await expectSeen(t, 'swap', (ws) => {
    const st = lstatSync(at(ws, 'a.txt'));
    writeFileSync(at(ws, '.tmp'), 'ZZZZ\n');
    utimesSync(at(ws, '.tmp'), st.atime, st.mtime);
    renameSync(at(ws, '.tmp'), at(ws, 'a.txt'));
  });
});

t.test('chmod +x', async (t) => {
  await expectSeen(t, 'chmod', (ws) => chmodSync(at(ws, 'a.txt'), 0o755));
});

t.test('chmod -x, after a snapshot of the executable', async (t) => {
  const { ws } = await workspace(t, 'chmodx');
  chmodSync(at(ws, 'run.sh'), 0o755);
  const exec = await snapshotTree(ws);
  t.equal(exec, truthTree(ws));
  await new Promise((r) => setTimeout(r, 20));
  t.equal((await snap(ws)).git, 0);
  chmodSync(at(ws, 'run.sh'), 0o644);
  const after = await snapshotTree(ws);
  t.not(after, exec);
  t.equal(after, truthTree(ws));
});

t.test('a symlink retargeted to a name of the same length', async (t) => {
  await expectSeen(t, 'relink', (ws) => {
    rmSync(at(ws, 'link'));
    symlinkSync('b.txt', at(ws, 'link'));
  });
});

t.test('a file turned into a symlink whose target has the size of the file', async (t) => {
  await expectSeen(t, 'tolink', (ws) => {
    rmSync(at(ws, 'src/b.txt'));
    symlinkSync('../aa', at(ws, 'src/b.txt'));
  });
});

t.test('a hard link added', async (t) => {
  await expectSeen(t, 'hardlink', (ws) => linkSync(at(ws, 'a.txt'), at(ws, 'src/deep/a-again.txt')));
});

t.test('an ignored .gitignore edited in place un-ignores a file that was there', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'ignore');
  writeFiles(ws.dir, { 'sub/.gitignore': '*\n', 'sub/secret.txt': 's\n' });
  const before = await snapshotTree(ws);
  t.equal(before, truthTree(ws));
  await new Promise((r) => setTimeout(r, 20));
  t.equal((await snap(ws)).git, 0);
  const st = lstatSync(path.join(ws.dir, 'sub/.gitignore'));
  appendFileSync(path.join(ws.dir, 'sub/.gitignore'), '!secret.txt\n');
  utimesSync(path.join(ws.dir, 'sub/.gitignore'), st.atime, st.mtime);
  const after = await snapshotTree(ws);
  t.not(truthTree(ws), before);
  t.equal(after, truthTree(ws), 'the newly visible file is in the tree');
});

t.test('a directory renamed over an empty one', async (t) => {
  await expectSeen(t, 'dirswap', (ws) => {
    rmSync(at(ws, 'empty'), { recursive: true });
    renameSync(at(ws, 'src/deep'), at(ws, 'empty'));
  });
});

t.test('a nested repository, the engine index rewritten by someone else, a restore: each forces a real snapshot', async (t) => {
  const { ws, tree } = await workspace(t, 'nested');
  execFileSync('git', ['init', '-q', at(ws, 'sub')], { env: testEnv });
  const nested = await snap(ws);
  t.ok(nested.git > 0);
  t.equal((await snap(ws)).git > 0, true, 'with a nested repository in the workspace every snapshot asks git');
  rmSync(at(ws, 'sub'), { recursive: true });
  await new Promise((r) => setTimeout(r, 20));
  await snapshotTree(ws);
  t.equal((await snap(ws)).git, 0);
  // Someone else writes the engine's index: it stages a.txt's new content with the old stat.
  writeFileSync(path.join(ws.gitDir, 'index'), Buffer.alloc(0));
  const forged = await snap(ws);
  t.ok(forged.git > 0, 'an index the engine did not leave is not trusted');
  t.equal(forged.tree, truthTree(ws));
  await restoreWorkspace(ws, tree);
  const restored = await snap(ws);
  t.ok(restored.git > 0, 'after a restore the engine looks again');
  t.equal(restored.tree, tree);
});

t.test('something planted in the engine git dir forces a real snapshot and is reported', async (t) => {
  const { ws } = await workspace(t, 'planted');
  writeFileSync(path.join(ws.gitDir, 'info', 'exclude'), '*.txt\n');
  const r = await snap(ws);
  t.ok(r.git > 0);
  t.equal(r.tree, truthTree(ws));
  t.match(ws.findings, [{ kind: 'engine_git' }]);
});

// The racy rule itself, on stats no clock could be trusted to produce: an entry whose stat
// is identical to the record but was recorded at or after the recording started must be
// hashed again; one recorded before and identical is trusted.
t.test('judgeEntry: the racy-timestamp rule', async (t) => {
  const rec = { mode: 0o100644, ino: 7, size: 5, mtimeNs: 2_000_000_000n, ctimeNs: 2_000_000_000n };
  const same: StatNow = { kind: 'file', exec: false, ino: 7n, size: 5, mtimeNs: 2_000_000_000n, ctimeNs: 2_000_000_000n };
  t.equal(judgeEntry(rec, same, 3_000_000_000n), 'same', 'older than the recording: trusted');
  t.equal(judgeEntry(rec, same, 2_000_000_000n), 'hash', 'as old as the recording: hashed again');
  t.equal(judgeEntry(rec, same, 1_000_000_000n), 'hash', 'newer than the recording began: hashed again');
  t.equal(judgeEntry({ ...rec, ctimeNs: 2_500_000_000n }, { ...same, ctimeNs: 2_500_000_000n }, 2_400_000_000n), 'hash', 'ctime counts too');
  t.equal(judgeEntry(rec, { ...same, ctimeNs: 2_000_000_001n }, 3_000_000_000n), 'changed', 'a ctime one nanosecond later');
  t.equal(judgeEntry(rec, { ...same, ino: 8n }, 3_000_000_000n), 'changed', 'another inode');
  t.equal(judgeEntry(rec, { ...same, size: 6 }, 3_000_000_000n), 'changed', 'another size');
  t.equal(judgeEntry(rec, { ...same, exec: true }, 3_000_000_000n), 'changed', 'now executable');
  t.equal(judgeEntry(rec, { ...same, kind: 'link' }, 3_000_000_000n), 'changed', 'now a symlink');
  t.equal(judgeEntry(rec, { ...same, kind: 'other' }, 3_000_000_000n), 'changed', 'now a directory');
  t.equal(judgeEntry({ ...rec, mode: 0o120000 }, { ...same, kind: 'link' }, 3_000_000_000n), 'same');
  t.equal(judgeEntry({ ...rec, size: 0 }, same, 3_000_000_000n), 'hash', 'a size git smudged to 0: hashed');
});

t.test('unchangedInIndex: a tracked file as the checkout wrote it is unchanged, racy or not; one rewritten is not', async (t) => {
  // The size check asks it about a large tracked file at the first snapshot, which can fall in
  // the clock tick of the checkout: racy then, though no byte moved (CI saw a committed file
  // refused that way). Its ctime cannot be set back, so racy and equal is the checkout's own.
  const { unchangedInIndex } = await import('../../engine/git/stat-record.js');
  const repo = makeRepo(t);
  writeFiles(repo, { 'assets/big.bin': 'x'.repeat(4096) });
  execFileSync('git', ['add', '.'], { cwd: repo, env: testEnv });
  execFileSync('git', ['commit', '-qm', 'asset'], { cwd: repo, env: testEnv });
  const { ws } = await makeWorkspace(t, repo, 'racy');
  // An entry is racy when its recorded times are not older than the mark.
  const markLater = 2n ** 62n;
  const markEarlier = 0n;
  t.same([...unchangedInIndex(ws.gitDir, ws.dir, ['assets/big.bin'], markLater)], ['assets/big.bin'], 'not racy');
  t.same([...unchangedInIndex(ws.gitDir, ws.dir, ['assets/big.bin'], markEarlier)], ['assets/big.bin'], 'racy');
  writeFiles(ws.dir, { 'assets/big.bin': 'y'.repeat(4096) });
  t.same([...unchangedInIndex(ws.gitDir, ws.dir, ['assets/big.bin'], markEarlier)], [], 'rewritten with its size kept: changed');
});

// A file too large to stage is asked of `git check-ignore` before it is removed (an ignored one
// is no concern). git reads every .gitignore whole to answer that, ignored or not: a sparse
// terabyte at that name made it fail to allocate (exit 70, on every resume too); a smaller
// one could have been read into memory. Such a file is removed without asking.
t.test('an ignore, attributes or modules file too large to stage is removed without asking git', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'bigignore');
  ws.maxFileBytes = 2 ** 20;
  mkdirSync(path.join(ws.dir, 'src'), { recursive: true });
  for (const name of ['.gitignore', '.gitattributes', '.gitmodules']) {
    writeFileSync(path.join(ws.dir, 'src', name), '');
    truncateSync(path.join(ws.dir, 'src', name), 2 ** 40);
  }
  const before = ws.findings.length;
  await snapshotTree(ws);
  t.same(ws.findings.slice(before).map((f) => `${f.kind} ${f.path}`).sort(), ['large_file src/.gitattributes', 'large_file src/.gitignore', 'large_file src/.gitmodules']);
});

// The walk after a failed stat check takes each tracked file's size from that check's lstat
// (one stat per file, not two): a tracked file grown past the limit since the recorded
// snapshot, and one grown sparse past the holes' budget, must still be found before git reads them.
t.test('after a recorded snapshot, tracked files grown too large or too sparse are found from the check\'s stats', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', 'src/big.bin': 'small\n', 'src/holes.bin': 'small\n' });
  const { ws } = await makeWorkspace(t, repo, 'grown');
  ws.maxFileBytes = 2 ** 40;
  await snapshotTree(ws);
  t.ok(ws.snapshot, 'the first snapshot left a record');
  ws.maxFileBytes = 2 ** 20;
  writeFileSync(path.join(ws.dir, 'src', 'big.bin'), Buffer.alloc(2 ** 20 + 1, 1));
  const before = ws.findings.length;
  const { tree } = await snap(ws);
  t.same(ws.findings.slice(before).map((f) => `${f.kind} ${f.path}`), ['large_file src/big.bin']);
  t.equal(tree, truthTree(ws), 'the tree is of the workspace without it');
  t.notOk(lstatSync(path.join(ws.dir, 'src', 'big.bin'), { throwIfNoEntry: false }), 'removed before git read it');
  // Sparse: a terabyte of holes under the size limit cannot be made, so the limit goes.
  ws.maxFileBytes = 2 ** 50;
  await new Promise((r) => setTimeout(r, 20));
  await snapshotTree(ws);
  t.ok(ws.snapshot, 'a record again, so the next check hands the walk its stats');
  truncateSync(path.join(ws.dir, 'src', 'holes.bin'), 2 ** 40);
  const mark = ws.findings.length;
  await snapshotTree(ws);
  t.same(ws.findings.slice(mark).map((f) => `${f.kind} ${f.path}`), ['sparse_file src/holes.bin']);
});

// The walk judges a tracked file by the stats it is handed, not by a stat of its own: one it is
// told is larger than the limit is named (it is not), one it is told nothing of is statted.
t.test('the walk takes the sizes it is handed and stats what it is not told of', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', 'b.txt': 'b\n' });
  const { ws } = await makeWorkspace(t, repo, 'handed');
  writeFileSync(path.join(ws.dir, 'c.txt'), Buffer.alloc(4096, 1));
  const told = new Map<string, FileStat>([['a.txt', { size: 10_000, blocks: 24, mode: 0o100644, uid: 0 }]]);
  t.same(walkWorkspace(ws.dir, undefined, 4000, () => false, told).oversize, ['a.txt', 'c.txt']);
  t.same(walkWorkspace(ws.dir, undefined, 4000).oversize, ['c.txt']);
});
