import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { parseIndex } from '../../engine/git/stat-record.js';
import { buildTrees, byteOrder, IN_PROCESS_ENTRIES, treeObjectsOf, writeTrees, type TreeMemo } from '../../engine/git/write-tree.js';
import { deflateObject, looseObjectPath, objectId, writeObjectFile } from '../../engine/git/loose-objects.js';
import { gitStats } from '../../engine/git/run-git.js';
import { snapshotTree } from '../../engine/git/snapshot.js';
import { makeRepo, makeWorkspace, truthTree, writeFiles } from './fixtures/repo.js';

// The engine writes a snapshot's trees itself: the ids and the objects must be exactly git's,
// whatever the names (git orders a directory as if its name ended in `/`), modes and depth.

const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-write-tree-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: os.devNull } }).trim();

/** A deterministic pseudo-random generator (xorshift), so a failure can be replayed by its seed. */
function random(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) % 1_000_000) / 1_000_000;
  };
}

// Names that sort differently as files and as directories, and the bytes around '/'.
const NAMES = ['a', 'a-b', 'a.b', 'a0', 'a_b', 'A', 'b', 'é', 'ü.txt', 'sp ace', 'x.y.z', '.hidden', 'a+', 'z~', '日本'];

t.test('the tree of a random index is the tree git writes, for 40 seeds', async (t) => {
  const differ: string[] = [];
  for (let seed = 1; seed <= 40; seed++) {
    const next = random(seed);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
    const repo = path.join(dir, `r${seed}`);
    mkdirSync(repo);
    git(repo, 'init', '-q');
    const files = 1 + Math.floor(next() * 30);
    for (let i = 0; i < files; i++) {
      const depth = Math.floor(next() * 4);
      const parts = Array.from({ length: depth + 1 }, () => pick(NAMES));
      const rel = parts.join('/');
      const abs = path.join(repo, rel);
      try {
        mkdirSync(path.dirname(abs), { recursive: true });
        const kind = next();
        if (kind < 0.1) symlinkSync(pick(NAMES), abs);
        else {
          writeFileSync(abs, `${rel} ${seed}\n`);
          if (kind < 0.3) chmodSync(abs, 0o755);
        }
      } catch {
        // A name already taken as a file or a directory: skipped.
      }
    }
    git(repo, 'add', '-A');
    const entries = parseIndex(readFileSync(path.join(repo, '.git', 'index')));
    if (!entries) {
      differ.push(`seed ${seed}: the index was not readable`);
      continue;
    }
    const own = treeObjectsOf(entries).at(-1)!.id;
    const theirs = git(repo, 'write-tree');
    if (own !== theirs) differ.push(`seed ${seed}: ${own} != ${theirs}`);
  }
  t.same(differ, []);
});

t.test('paths are ordered as their UTF-8 bytes are, beyond U+FFFF too', async (t) => {
  const names = ['a', 'a/', 'a-b', 'a/b', 'ab', 'é', 'z', '\u{e000}', '\u{fffd}', '\u{ffff}', '\u{10000}', '😀', '😀a', '日本', '\u{d7ff}', 'A', '~', ''];
  const wrong: string[] = [];
  for (const a of names) for (const b of names) if (Math.sign(byteOrder(a, b)) !== Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)))) wrong.push(`${a} ? ${b}`);
  t.same(wrong, []);
});

t.test('an empty index is the empty tree', async (t) => {
  t.equal(treeObjectsOf([]).at(-1)!.id, '4b825dc642cb6eb9a060e54bf8d69288fbee4904');
});

t.test('written trees are objects git reads and checks; a file at a tree id that holds anything else is written over', async (t) => {
  const repo = path.join(dir, 'written');
  mkdirSync(repo);
  git(repo, 'init', '-q');
  writeFiles(repo, { 'src/a.ts': 'a\n', 'src/lib/b.ts': 'b\n', 'README.md': 'r\n' });
  git(repo, 'add', '-A');
  const entries = parseIndex(readFileSync(path.join(repo, '.git', 'index')))!;
  const objects = path.join(repo, '.git', 'objects');
  const trees = treeObjectsOf(entries);
  // A forged file at the name of the src tree.
  const src = trees.find((x) => x.object.includes(Buffer.from('lib')))!;
  mkdirSync(path.dirname(looseObjectPath(objects, src.id)), { recursive: true });
  writeFileSync(looseObjectPath(objects, src.id), deflateSync(Buffer.from('tree 4\0evil')));
  const root = writeTrees(objects, entries, new Set());
  t.equal(root, trees.at(-1)!.id);
  t.equal(git(repo, 'ls-tree', '-r', '--name-only', root), 'README.md\nsrc/a.ts\nsrc/lib/b.ts');
  git(repo, 'fsck', '--strict', '--no-dangling', root);
  t.equal(root, git(repo, 'write-tree'), "git's own write-tree agrees");
  // A tree this process wrote, removed since (a worker without the OS sandbox can): written again.
  const known = new Set(trees.map((x) => x.id));
  rmSync(looseObjectPath(objects, src.id), { force: true });
  t.equal(writeTrees(objects, entries, known), root);
  git(repo, 'fsck', '--strict', '--no-dangling', root);
});

t.test('trees built from the last build are the trees built afresh, over 40 random edit sequences', async (t) => {
  const differ: string[] = [];
  const sha = (n: number) => n.toString(16).padStart(40, '0');
  for (let seed = 1; seed <= 40; seed++) {
    const next = random(seed);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
    const files = new Map<string, { mode: number; sha: string }>();
    let memo: TreeMemo | undefined;
    let counter = 0;
    for (let round = 0; round < 12; round++) {
      // Edits: new files at any depth, removed ones (whole directories go), a changed id or
      // mode, a file where a directory was or the other way round.
      for (let k = Math.floor(next() * 6); k >= 0; k--) {
        const what = next();
        const paths = [...files.keys()];
        if (what < 0.4 || paths.length === 0) {
          const rel = Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(NAMES)).join('/');
          // A name already a directory's, or under a file's, is no index entry.
          if (paths.some((p) => p.startsWith(`${rel}/`) || rel.startsWith(`${p}/`))) continue;
          files.set(rel, { mode: 0o100644, sha: sha(++counter) });
        } else if (what < 0.6) files.delete(pick(paths));
        else if (what < 0.8) files.set(pick(paths), { mode: 0o100644, sha: sha(++counter) });
        else files.set(pick(paths), { mode: next() < 0.5 ? 0o100755 : 0o120000, sha: files.get(pick(paths))!.sha });
      }
      const entries = [...files].map(([p, e]) => ({ path: p, ...e })).sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
      const fresh = buildTrees(entries);
      const again = buildTrees(entries, memo);
      if (again.root !== fresh.root) differ.push(`seed ${seed} round ${round}: root ${again.root} != ${fresh.root}`);
      // Entries out of the index's order are put in it.
      if (buildTrees([...entries].reverse()).root !== fresh.root) differ.push(`seed ${seed} round ${round}: entries given in reverse make another tree`);
      const ids = (m: TreeMemo) => JSON.stringify([...m.ids].sort());
      if (ids(again.memo) !== ids(fresh.memo)) differ.push(`seed ${seed} round ${round}: the directories' ids differ`);
      // Built again: only what is not the last build's.
      const before = new Set(memo?.ids.values() ?? []);
      if (memo && again.objects.some((o) => before.has(o.id) && o.id !== again.root)) differ.push(`seed ${seed} round ${round}: an unchanged tree was built again`);
      memo = again.memo;
    }
  }
  t.same(differ, []);
});

t.test('with the last build kept, a changed file builds only the trees above it, and a tree file removed since is written again', async (t) => {
  const repo = path.join(dir, 'memo');
  mkdirSync(repo);
  git(repo, 'init', '-q');
  writeFiles(repo, { 'src/a.ts': 'a\n', 'src/lib/b.ts': 'b\n', 'docs/c.md': 'c\n', 'README.md': 'r\n' });
  git(repo, 'add', '-A');
  const objects = path.join(repo, '.git', 'objects');
  const memo: { last?: TreeMemo } = {};
  const known = new Set<string>();
  const first = writeTrees(objects, parseIndex(readFileSync(path.join(repo, '.git', 'index')))!, known, memo);
  t.equal(first, git(repo, 'write-tree'));
  writeFiles(repo, { 'src/lib/b.ts': 'b2\n' });
  git(repo, 'add', '-A');
  const entries = parseIndex(readFileSync(path.join(repo, '.git', 'index')))!;
  const rebuilt = buildTrees(entries, memo.last).objects.map((o) => o.id);
  t.equal(rebuilt.length, 3, 'src/lib, src and the root; not docs');
  const docs = memo.last!.ids.get('docs/')!;
  t.notOk(rebuilt.includes(docs));
  // A worker without the OS sandbox removes the docs tree's file from the engine's store.
  rmSync(looseObjectPath(objects, docs), { force: true });
  const second = writeTrees(objects, entries, known, memo);
  // Looked for before any git runs: git's own write-tree would write it back from its cache of trees.
  t.ok(readFileSync(looseObjectPath(objects, docs)).length > 0, 'the removed tree is written again');
  t.equal(second, git(repo, 'write-tree'));
  git(repo, 'fsck', '--strict', '--no-dangling', second);
});

t.test('past the entries the engine writes trees for, git writes them, and the last build is let go', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'many');
  writeFiles(ws.dir, { 'src/b.txt': 'b\n' });
  await snapshotTree(ws);
  t.ok(ws.treeMemo?.last, 'a small index: the engine built the trees and kept the build');
  for (let d = 0; d * 1000 <= IN_PROCESS_ENTRIES; d++) {
    mkdirSync(path.join(ws.dir, 'many', `d${d}`), { recursive: true });
    for (let i = 0; i < 1000; i++) writeFileSync(path.join(ws.dir, 'many', `d${d}`, `f${i}`), '');
  }
  const before = gitStats.processes;
  const tree = await snapshotTree(ws);
  t.equal(gitStats.processes - before, 2, 'add and write-tree');
  t.equal(tree, truthTree(ws));
  t.equal(ws.treeMemo, undefined);
  // Smaller again: the engine's trees, built whole.
  rmSync(path.join(ws.dir, 'many'), { recursive: true, force: true });
  t.equal(await snapshotTree(ws), truthTree(ws));
  t.ok(ws.treeMemo?.last);
});

t.test('a snapshot is one git process: add', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'one-git');
  writeFiles(ws.dir, { 'src/b.txt': 'b\n' });
  const before = gitStats.processes;
  const tree = await snapshotTree(ws);
  t.equal(gitStats.processes - before, 1);
  t.equal(git(ws.dir, `--git-dir=${ws.gitDir}`, 'ls-tree', '-r', '--name-only', tree), 'a.txt\nsrc/b.txt');
});

t.test('a loose object deflated with a window sized to it reads back in git, at every size', async (t) => {
  const repo = path.join(dir, 'deflate');
  mkdirSync(repo);
  git(repo, 'init', '-q');
  const objects = path.join(repo, '.git', 'objects');
  const next = random(7);
  for (const size of [0, 1, 255, 256, 511, 512, 513, 4096, 40_000, 70_000, 300_000]) {
    // Text that repeats at a distance beyond a small window, and noise.
    const body = Buffer.from(Array.from({ length: size }, (_, i) => (i % 3 ? 'abcdefgh'[i % 8] : String.fromCharCode(33 + Math.floor(next() * 90)))).join(''));
    const object = Buffer.concat([Buffer.from(`blob ${body.length}\0`), body]);
    const id = objectId(object);
    const deflated = deflateObject(object);
    // The zlib header names the window: 2^(8 + CINFO) bytes, never more than 32 KB, at least the object (or 512).
    const window = 2 ** (8 + (deflated[0]! >> 4));
    t.ok(window <= 32 * 1024 && window >= Math.min(32 * 1024, Math.max(512, object.length)), `${size} bytes: a ${window}-byte window`);
    writeObjectFile(looseObjectPath(objects, id), deflated);
    t.equal(git(repo, 'cat-file', '-s', id), String(size));
    t.ok(execFileSync('git', ['cat-file', 'blob', id], { cwd: repo }).equals(body), `${size} bytes: git reads back every byte`);
  }
  git(repo, 'fsck', '--strict');
});
