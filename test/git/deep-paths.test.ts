import t from 'tap';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { snapshotTree } from '../../engine/git/snapshot.js';
import { walkWorkspace } from '../../engine/git/stat-record.js';
import { DEEP_DIR_BYTES } from '../../engine/util/deep-path.js';
import { engineGit, makeRepo, makeWorkspace } from './fixtures/repo.js';

// A directory whose path leaves no room for a name inside it (PATH_MAX, 4,096 bytes with its
// NUL on Linux) cannot be entered by path: git skipped it without a word (exit 0), so what a
// worker put there was neither staged nor checked, and the run completed without it. The
// snapshot removes such a directory whole, a deep_path finding; one a byte shorter is entered
// and staged as any other.

/** A chain of directories under `base` whose last one's absolute path is `bytes` long. */
function chainOf(base: string, bytes: number): string {
  const parts: string[] = [];
  let length = Buffer.byteLength(base);
  while (length < bytes) {
    const name = 'd'.repeat(Math.min(200, bytes - length - 1));
    if (name.length === 0) throw new Error('a byte short of a name');
    parts.push(name);
    length += 1 + name.length;
  }
  const dir = path.join(base, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

t.test('a directory too deep to name a file in: removed whole, a deep_path finding; one a byte shorter is staged', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'deep');
  const edge = chainOf(path.join(ws.dir, 'edge'), DEEP_DIR_BYTES);
  writeFileSync(path.join(edge, 'f'.repeat(255)), 'at the edge\n');
  const over = chainOf(path.join(ws.dir, 'over'), DEEP_DIR_BYTES + 1);
  writeFileSync(path.join(over, 'x'), 'past it\n');
  const before = ws.findings.length;
  const tree = await snapshotTree(ws);
  const found = ws.findings.slice(before);
  t.equal(found.length, 1, 'one finding');
  t.equal(found[0]?.kind, 'deep_path');
  t.equal(path.join(ws.dir, found[0]!.path), over, 'it names the first directory too deep to enter');
  t.notOk(existsSync(over), 'that directory is gone');
  t.ok(existsSync(path.dirname(over)), 'the one above it stays');
  const staged = engineGit(ws, 'ls-tree', '-r', '--name-only', tree).split('\n');
  t.ok(staged.some((p) => p.startsWith('edge/') && p.endsWith('f'.repeat(255))), 'the file at the edge is staged');
  t.notOk(staged.some((p) => p.startsWith('over/')), 'nothing under the deep one');
});

t.test('a chain far deeper than PATH_MAX, made by descending name by name: removed, the snapshot completes', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'deeper');
  // Deeper than any path: made through each level's descriptor path, as a worker's `cd` would.
  let at = path.join(ws.dir, 'src');
  mkdirSync(at);
  const fds: number[] = [];
  try {
    for (let i = 0; i < 40; i++) {
      mkdirSync(path.join(at, 'n'.repeat(250)));
      const fd = openSync(path.join(at, 'n'.repeat(250)), constants.O_RDONLY | constants.O_DIRECTORY);
      fds.push(fd);
      at = `/proc/self/fd/${fd}`;
    }
    writeFileSync(path.join(at, 'bottom.txt'), 'x\n');
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  const before = ws.findings.length;
  const tree = await snapshotTree(ws);
  t.same(ws.findings.slice(before).map((f) => f.kind), ['deep_path']);
  t.equal(engineGit(ws, 'ls-tree', '-r', '--name-only', tree).trim(), 'a.txt', 'only the tracked file is staged');
  t.same(walkWorkspace(ws.dir).deep, [], 'nothing too deep is left for git to skip');
  t.ok(existsSync(path.join(ws.dir, 'src', 'n'.repeat(250))), 'the levels a path can name stay (the rollback is governance\'s)');
});

// A name that is not UTF-8 (`mkdir $'\xff'`): listed as text, it became another name (U+FFFD)
// that opened nothing, so the walk skipped all below it without a word — a chain deeper than
// PATH_MAX there, or a FIFO git would wait on — and removing the workspace failed (exit 70).
// Such an entry is removed whole before git looks, a non_utf8_path finding (bytes as %XX).
t.test('a folder whose name is not UTF-8, holding a FIFO and a chain deeper than PATH_MAX: removed, a non_utf8_path finding', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'bytes');
  mkdirSync(path.join(ws.dir, 'src'));
  const made = spawnSync('python3', ['-c', [
    'import os',
    'os.makedirs(b"src/\\xff/x"); os.mkfifo(b"src/\\xff/x/.gitignore"); os.chdir(b"src/\\xff")',
    'for i in range(22): os.mkdir("n" * 250); os.chdir("n" * 250)',
    'open("hidden.txt", "w").write("payload\\n")',
  ].join('\n')], { cwd: ws.dir, encoding: 'utf8' });
  t.equal(made.status, 0, `made (${made.stderr})`);
  writeFileSync(path.join(ws.dir, 'src', 'ok.txt'), 'ok\n');
  const before = ws.findings.length;
  const tree = await snapshotTree(ws);
  t.same(ws.findings.slice(before).map((f) => [f.kind, f.path]), [['non_utf8_path', 'src/%FF']]);
  t.same(readdirSync(path.join(ws.dir, 'src')), ['ok.txt'], 'nothing of it is left');
  t.same(engineGit(ws, 'ls-tree', '-r', '--name-only', tree).trim().split('\n'), ['a.txt', 'src/ok.txt'], 'the rest is staged');
});

t.test('a name that is not UTF-8 at the top of the workspace: removed too', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'topbytes');
  writeFileSync(Buffer.concat([Buffer.from(`${ws.dir}/`), Buffer.from([0xfe, 0x41])]), 'x\n');
  const before = ws.findings.length;
  const tree = await snapshotTree(ws);
  t.same(ws.findings.slice(before).map((f) => [f.kind, f.path]), [['non_utf8_path', '%FEA']]);
  t.same(engineGit(ws, 'ls-tree', '-r', '--name-only', tree).trim(), 'a.txt');
});
