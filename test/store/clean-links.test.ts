import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanRuns, listRepoFolders } from '../../engine/store/clean-runs.js';

// Without the OS sandbox a worker can put a link in place of a repo's workspaces folder (its
// name is predictable from the repo's path) or of the workspaces root, to a folder of the
// user's: `engine clean` listed every entry there as an orphan workspace and removed it — the
// user's thesis, a whole projects folder (found by a hostile review). Clean removes only what
// the engine made: never through a link, never an entry without the engine's git dir beside it.
const opts = { olderThanDays: null, nowMs: Date.now(), dryRun: false };

function userFolder(dir: string): string {
  const data = path.join(dir, 'userdata');
  mkdirSync(path.join(data, 'docs'), { recursive: true });
  writeFileSync(path.join(data, 'thesis.txt'), 'years of work\n');
  writeFileSync(path.join(data, 'docs', 'notes.md'), 'notes\n');
  return data;
}

t.test("a repo's workspaces folder that is a link: nothing removed through it", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-clean-links-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = userFolder(dir);
  const reposDir = path.join(dir, 'workspaces', 'repo-0123abcd');
  mkdirSync(path.dirname(reposDir), { recursive: true });
  symlinkSync(data, reposDir);
  const cleaned = cleanRuns(reposDir, path.join(dir, 'store'), opts);
  t.same(cleaned.filter((c) => c.removed), [], 'nothing removed');
  t.same(readdirSync(data).sort(), ['docs', 'thesis.txt'], "the user's files are there");
});

t.test('a workspaces root that is a link: no repo folder listed under it', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-clean-links-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const projects = path.join(dir, 'projects');
  mkdirSync(path.join(projects, 'projA'), { recursive: true });
  writeFileSync(path.join(projects, 'projA', 'main.c'), 'int main;\n');
  symlinkSync(projects, path.join(dir, 'workspaces'));
  t.same(listRepoFolders(path.join(dir, 'workspaces')), []);
  t.ok(existsSync(path.join(projects, 'projA', 'main.c')));
});

t.test("an entry of a workspaces folder without the engine's git dir beside it is kept, however old", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-clean-links-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const reposDir = path.join(dir, 'workspaces', 'repo-0123abcd');
  mkdirSync(path.join(reposDir, 'docs'), { recursive: true });
  writeFileSync(path.join(reposDir, 'thesis.txt'), 'put here by something else\n');
  // One the engine made: a workspace and its git dir on the run's branch.
  mkdirSync(path.join(reposDir, 'r1'));
  mkdirSync(path.join(reposDir, 'r1.git'));
  writeFileSync(path.join(reposDir, 'r1.git', 'HEAD'), 'ref: refs/heads/engine/r1\n');
  const cleaned = cleanRuns(reposDir, path.join(dir, 'store'), opts);
  t.same(cleaned.filter((c) => c.removed).map((c) => c.run_id), ['r1'], 'the orphan workspace the engine made goes');
  t.ok(existsSync(path.join(reposDir, 'thesis.txt')), 'the rest stays');
  t.ok(existsSync(path.join(reposDir, 'docs')));
  t.match(cleaned.find((c) => c.run_id === 'thesis.txt'), { removed: false, reason: /not a workspace the engine made/ });
});

// `engine clean` says what it freed: a sparse file of a terabyte (a worker's `truncate -s 1T`,
// no disk used) made it report 1024 GiB freed. What a file holds on disk is its blocks.
t.test('sizeOf counts the disk a file uses, not its apparent length', async (t) => {
  const { sizeOf } = await import('../../engine/store/clean-runs.js');
  const { mkdtempSync, truncateSync, writeFileSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-size-'));
  writeFileSync(path.join(dir, 'sparse'), '');
  truncateSync(path.join(dir, 'sparse'), 2 ** 40);
  writeFileSync(path.join(dir, 'real'), Buffer.alloc(64 * 1024, 1));
  const size = sizeOf(dir);
  t.ok(size >= 64 * 1024 && size < 2 ** 30, `about 64 KiB, not a terabyte (${size})`);
});
