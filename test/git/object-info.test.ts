import t from 'tap';
import path from 'node:path';
import { readObjectInfo } from '../../engine/git/object-info.js';
import { findMissingObjects } from '../../engine/git/find-missing-objects.js';
import { git, makeRepo } from './fixtures/repo.js';

// One `cat-file --batch-check` reader for the engine's questions of objects: their sizes (the
// test-count guardrail's bound) and whether a record's commits and trees are still there (resume).

t.test('each object there by its type and size; missing ones, whitespace and empty ids left out', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'four\n' });
  const target = { gitDir: path.join(repo, '.git'), workTree: repo };
  const commit = git(repo, 'rev-parse', 'HEAD');
  const tree = git(repo, 'rev-parse', 'HEAD^{tree}');
  const blob = git(repo, 'rev-parse', 'HEAD:a.txt');
  const missing = '0'.repeat(40);
  const info = await readObjectInfo(target, [blob, tree, missing, commit, blob, 'HEAD a.txt', '', 'not-an-object']);
  t.same([...info.keys()], [blob, tree, commit], 'each asked once, in order; what is not there is left out');
  t.same(info.get(blob), { type: 'blob', size: 5 });
  t.equal(info.get(tree)?.type, 'tree');
  t.equal(info.get(commit)?.type, 'commit');
  t.same(await readObjectInfo(target, []), new Map(), 'no ids, no git');
});

t.test('findMissingObjects: not an id, not there, or of another type', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const target = { gitDir: path.join(repo, '.git'), workTree: repo };
  const commit = git(repo, 'rev-parse', 'HEAD');
  const tree = git(repo, 'rev-parse', 'HEAD^{tree}');
  const wanted = [
    { name: 'head_sha', id: commit, type: 'commit' as const },
    { name: 'workspace_tree', id: tree, type: 'tree' as const },
    { name: 'base_sha', id: tree, type: 'commit' as const },
    { name: 'checkpoint', id: 'f'.repeat(40), type: 'commit' as const },
    { name: 'expression', id: 'HEAD~1', type: 'commit' as const },
  ];
  t.same((await findMissingObjects(target, wanted)).map((w) => w.name).sort(), ['base_sha', 'checkpoint', 'expression']);
});
