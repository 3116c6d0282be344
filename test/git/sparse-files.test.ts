import t from 'tap';
import { existsSync, mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { snapshotTree } from '../../engine/git/snapshot.js';
import { HOLE_BUDGET_BYTES } from '../../engine/git/stat-record.js';
import { engineGit, makeRepo, makeWorkspace, writeFiles } from './fixtures/repo.js';

// A file over governance.max_file_mb is removed before git reads it; many just under it are
// not: a sparse file costs a worker an instant and no disk, and git reads every byte of each
// to stage it (a hundred of 99 MiB took 97 s, thousands hours; with the OS sandbox too). What
// is not on disk (a file's holes) is counted over the whole snapshot: past HOLE_BUDGET_BYTES,
// the sparse files git would read are removed, the largest first, each a sparse_file finding.

t.test('sparse files whose holes pass the budget: removed before git reads them, the rest staged', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'sparse');
  ws.maxFileBytes = 100 * 2 ** 20;
  mkdirSync(path.join(ws.dir, 'src'), { recursive: true });
  const each = 99 * 2 ** 20;
  const count = Math.ceil((HOLE_BUDGET_BYTES * 3) / each);
  for (let i = 0; i < count; i++) {
    writeFileSync(path.join(ws.dir, 'src', `s${i}.bin`), '');
    truncateSync(path.join(ws.dir, 'src', `s${i}.bin`), each);
  }
  writeFiles(ws.dir, { 'src/ok.txt': 'ok\n', '.gitignore': 'ignored/\n' });
  mkdirSync(path.join(ws.dir, 'ignored'));
  writeFileSync(path.join(ws.dir, 'ignored', 'big.bin'), '');
  truncateSync(path.join(ws.dir, 'ignored', 'big.bin'), each);
  const before = ws.findings.length;
  const started = Date.now();
  const tree = await snapshotTree(ws);
  const found = ws.findings.slice(before).filter((f) => f.kind === 'sparse_file').map((f) => f.path);
  t.ok(found.length >= count - Math.floor(HOLE_BUDGET_BYTES / each), `enough removed to keep within the budget (${found.length} of ${count})`);
  for (const p of found) if (existsSync(path.join(ws.dir, p))) t.fail(`${p} is still there`);
  t.ok(existsSync(path.join(ws.dir, 'ignored', 'big.bin')), 'an ignored one is no concern and is left');
  const staged = engineGit(ws, 'ls-tree', '-r', '--name-only', tree).split('\n');
  t.ok(staged.includes('src/ok.txt'), 'the rest is staged');
  t.ok(Date.now() - started < 20_000, `git did not read ${(count * each) / 2 ** 30} GiB (${Date.now() - started} ms)`);
});

t.test('a few sparse files within the budget are staged as any file', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'sparsefew');
  ws.maxFileBytes = 100 * 2 ** 20;
  writeFileSync(path.join(ws.dir, 'one.bin'), '');
  truncateSync(path.join(ws.dir, 'one.bin'), 2 ** 20);
  const before = ws.findings.length;
  const tree = await snapshotTree(ws);
  t.same(ws.findings.slice(before), []);
  t.ok(engineGit(ws, 'ls-tree', '-r', '--name-only', tree).split('\n').includes('one.bin'));
});

// Found by a hostile review: files with just under 1 MiB of holes each were not counted, and
// any number of them made git read their sum.
t.test('many files each with a little under 1 MiB of holes count toward the budget', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'sparsesmall');
  ws.maxFileBytes = 100 * 2 ** 20;
  mkdirSync(path.join(ws.dir, 'many'));
  const each = 2 ** 20 - 1;
  const count = Math.ceil((HOLE_BUDGET_BYTES * 1.5) / each);
  for (let i = 0; i < count; i++) {
    writeFileSync(path.join(ws.dir, 'many', `f${i}`), '');
    truncateSync(path.join(ws.dir, 'many', `f${i}`), each);
  }
  const before = ws.findings.length;
  await snapshotTree(ws);
  const found = ws.findings.slice(before).filter((f) => f.kind === 'sparse_file');
  t.ok(found.length >= count - Math.floor(HOLE_BUDGET_BYTES / each), `enough removed (${found.length} of ${count})`);
});
