import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { snapshotEarly } from '../../engine/runtime/govern-call.js';
import { snapshotTree } from '../../engine/git/snapshot.js';
import { gitStats } from '../../engine/git/run-git.js';
import { diffOf } from '../../engine/runtime/tree-diffs.js';
import type { Runtime } from '../../engine/runtime/types.js';
import type { Workspace } from '../../engine/git/workspace.js';
import { makeRepo, makeWorkspace, truthTree } from '../git/fixtures/repo.js';

// A step that can write snapshots its workspace as soon as its call's processes are gone
// (runtime/steps/worker.ts), before governance looks: only after the checks governance makes
// first, so that nothing is read or written through a workspace or a git dir a worker left
// running without the OS sandbox swapped for a link.

/** What snapshotEarly reads of a run: its stop signal, its workspace and the tree last recorded. */
function runtimeOf(ws: Workspace, stopped = false, recorded: string | null = null): Runtime {
  const stop = new AbortController();
  if (stopped) stop.abort();
  return { signal: stop.signal, ws, state: { workspace_tree: recorded } } as unknown as Runtime;
}

t.test('the workspace as the call left it: the tree a snapshot takes, and the diff governance reads, asked of git once', async (t) => {
  const repo = makeRepo(t, { 'README.md': 'hello\n' });
  const { ws } = await makeWorkspace(t, repo, 'early');
  const recorded = await snapshotTree(ws);
  writeFileSync(path.join(ws.dir, 'a.txt'), 'written by the call\n');
  const rt = runtimeOf(ws, false, recorded);
  const early = snapshotEarly(rt);
  t.ok(early, 'begun');
  const tree = await early;
  t.type(tree, 'string');
  t.equal(tree, truthTree(ws), "git's own tree of the workspace");
  const before = gitStats.processes;
  const diff = await diffOf(rt, recorded, tree as string);
  t.same(diff.files.map((f) => [f.path, f.status]), [['a.txt', 'added']], 'the change the call made');
  t.equal(gitStats.processes, before, 'asked of git already, as the snapshot was taken');
  t.equal(await snapshotTree(ws), tree, 'the next snapshot finds it unchanged');
});

t.test('none while the run is stopping: governance does not look at the tree then', async (t) => {
  const repo = makeRepo(t);
  const { ws } = await makeWorkspace(t, repo, 'stopping');
  t.equal(snapshotEarly(runtimeOf(ws, true)), null);
});

t.test("none through a link a worker put in place of the engine's git dir, or of the workspace", async (t) => {
  const repo = makeRepo(t);
  const { ws } = await makeWorkspace(t, repo, 'links');
  await snapshotTree(ws);
  const victim = makeRepo(t, { 'mine.txt': 'the user\n' });
  const victimGit = path.join(victim, '.git');
  const objectsBefore = readdirSync(path.join(victimGit, 'objects')).sort();
  writeFileSync(path.join(ws.dir, 'b.txt'), 'b\n');
  renameSync(ws.gitDir, `${ws.gitDir}.moved`);
  symlinkSync(victimGit, ws.gitDir);
  t.equal(snapshotEarly(runtimeOf(ws)), null, "the engine's git dir is a link: no snapshot");
  t.same(readdirSync(path.join(victimGit, 'objects')).sort(), objectsBefore, 'nothing written into the repository it names');
  rmSync(ws.gitDir);
  renameSync(`${ws.gitDir}.moved`, ws.gitDir);
  // Another directory where the engine's was (its identity is not the one the engine made).
  renameSync(ws.gitDir, `${ws.gitDir}.moved`);
  mkdirSync(ws.gitDir);
  t.equal(snapshotEarly(runtimeOf(ws)), null, 'another directory there: no snapshot');
  rmSync(ws.gitDir, { recursive: true });
  renameSync(`${ws.gitDir}.moved`, ws.gitDir);
  renameSync(ws.dir, `${ws.dir}.moved`);
  symlinkSync(victim, ws.dir);
  t.equal(snapshotEarly(runtimeOf(ws)), null, 'the workspace is a link: no snapshot');
  rmSync(ws.dir);
  renameSync(`${ws.dir}.moved`, ws.dir);
  t.type(await snapshotEarly(runtimeOf(ws)), 'string', 'both back: a snapshot again');
});

t.test('a snapshot that fails settles as its error, for governance to take its own', async (t) => {
  const repo = makeRepo(t);
  const { ws } = await makeWorkspace(t, repo, 'fails');
  await snapshotTree(ws);
  writeFileSync(path.join(ws.dir, 'c.txt'), `c ${process.pid} ${Date.now()}\n`);
  // The engine's git dir refusing the engine (git cannot make its index's lock there). A file
  // put in place of objects/, as this test once did, is removed before git looks now
  // (misplaced-entries.ts), and a snapshot writes no object of its own.
  const gitDir = ws.gitDir;
  const asRoot = process.getuid?.() === 0;
  const take = asRoot ? spawnSync('chattr', ['+i', gitDir]).status === 0 : spawnSync('chmod', ['a-w', gitDir]).status === 0;
  if (!take) {
    t.comment('skipped: the engine\'s git dir cannot be made to refuse writes here');
    return;
  }
  try {
    const settled = await snapshotEarly(runtimeOf(ws));
    t.type(settled, Error, 'an Error, not a rejection');
  } finally {
    if (asRoot) spawnSync('chattr', ['-i', gitDir]);
    else spawnSync('chmod', ['u+w', gitDir]);
  }
});
