import t from 'tap';
import { chmodSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { diffTreeEntries, measureTrees, parseNameStatus, parseNumstat, parseRaw, readBlobs } from '../../engine/git/changes.js';
import { snapshotTree } from '../../engine/git/snapshot.js';
import { workspaceTarget } from '../../engine/git/workspace.js';
import { checkEntries, linkObjects } from '../../engine/governance/check-entries.js';
import { git, makeEmptyRepo, makeRepo, makeWorkspace, writeFiles } from './fixtures/repo.js';

t.test('measureTrees: added, modified, deleted and renamed files, repo-relative and sorted', async (t) => {
  const repo = makeRepo(t, { 'keep.txt': 'k\n', 'mod.txt': 'm\n', 'del.txt': 'd\n', 'old name.txt': 'some content that is long enough\nto be detected as a rename\n' });
  const { ws } = await makeWorkspace(t, repo, 'ch');
  const target = workspaceTarget(ws);
  const base = git(repo, 'rev-parse', 'HEAD^{tree}');
  t.same(await measureTrees(target, base, await snapshotTree(ws)), { files: [], stats: { files: 0, added: 0, removed: 0 } });
  writeFiles(ws.dir, { 'mod.txt': 'm2\n', 'z/ñew file.txt': 'n\n', 'a-new.txt': 'a\n' });
  rmSync(path.join(ws.dir, 'del.txt'));
  renameSync(path.join(ws.dir, 'old name.txt'), path.join(ws.dir, 'new name.txt'));
  const { files, stats } = await measureTrees(target, base, await snapshotTree(ws));
  t.same(files, [
    { path: 'a-new.txt', status: 'added' },
    { path: 'del.txt', status: 'deleted' },
    { path: 'mod.txt', status: 'modified' },
    { path: 'new name.txt', status: 'renamed', from: 'old name.txt' },
    { path: 'z/ñew file.txt', status: 'added' },
  ]);
  // numstat without renames: the rename counts as a deletion and an addition.
  t.same(stats, { files: 6, added: 1 + 1 + 1 + 2, removed: 1 + 1 + 2 });
  t.equal(git(ws.dir, 'diff', '--cached', '--name-only'), '', "the worker's index is untouched");
});

t.test('ignored files are not changes', async (t) => {
  const repo = makeRepo(t, { '.gitignore': 'node_modules/\n' });
  const { ws } = await makeWorkspace(t, repo, 'ign');
  writeFiles(ws.dir, { 'node_modules/x/index.js': 'x\n', 'src.js': 's\n' });
  const { files } = await measureTrees(workspaceTarget(ws), git(repo, 'rev-parse', 'HEAD^{tree}'), await snapshotTree(ws));
  t.same(files, [{ path: 'src.js', status: 'added' }]);
});

t.test('from null (an unborn run) everything is added', async (t) => {
  const repo = makeEmptyRepo(t);
  const { ws } = await makeWorkspace(t, repo, 'u');
  writeFiles(ws.dir, { 'b.txt': 'b\n', 'a.txt': 'a\n' });
  t.same(await measureTrees(workspaceTarget(ws), null, await snapshotTree(ws)), {
    files: [
      { path: 'a.txt', status: 'added' },
      { path: 'b.txt', status: 'added' },
    ],
    stats: { files: 2, added: 2, removed: 0 },
  });
});

t.test('stats count lines; a binary file counts as a file with no lines', async (t) => {
  const repo = makeRepo(t, { 'a.txt': '1\n2\n3\n', 'gone.txt': 'x\ny\n', 'pic.bin': Buffer.from([0, 1, 2, 0]) });
  const { ws } = await makeWorkspace(t, repo, 'ds');
  const base = git(repo, 'rev-parse', 'HEAD^{tree}');
  writeFiles(ws.dir, {
    'a.txt': '1\nTWO\n3\n4\n', // +2 -1
    'new.txt': 'n1\nn2\nn3\n', // +3
    'img.bin': Buffer.from([0, 1, 2, 0, 255, 0]), // binary, new
    'pic.bin': Buffer.from([0, 9, 9, 0]), // binary, changed
  });
  rmSync(path.join(ws.dir, 'gone.txt')); // -2
  t.same((await measureTrees(workspaceTarget(ws), base, await snapshotTree(ws))).stats, { files: 5, added: 5, removed: 3 });
});

t.test('diffTreeEntries: modes of files, executables, symlinks, gitlinks and deletions; renames split', async (t) => {
  const repo = makeRepo(t, { 'f.txt': 'f\n', 'old.txt': 'some content that is long enough\nto be detected as a rename\n', 'was-file': 'w\n' });
  const { ws } = await makeWorkspace(t, repo, 'raw');
  const target = workspaceTarget(ws);
  const base = git(repo, 'rev-parse', 'HEAD^{tree}');
  t.same(await diffTreeEntries(target, base, base), []);
  writeFiles(ws.dir, { 'run.sh': '#!/bin/sh\n', 'f.txt': 'f2\n' });
  chmodSync(path.join(ws.dir, 'run.sh'), 0o755);
  symlinkSync('f.txt', path.join(ws.dir, 'link'));
  renameSync(path.join(ws.dir, 'old.txt'), path.join(ws.dir, 'new.txt'));
  rmSync(path.join(ws.dir, 'was-file'));
  symlinkSync('f.txt', path.join(ws.dir, 'was-file'));
  git(ws.dir, 'init', '-q', 'sub');
  git(path.join(ws.dir, 'sub'), 'commit', '-q', '--allow-empty', '-m', 'x');
  const tree = await snapshotTree(ws);
  const entries = await diffTreeEntries(target, base, tree);
  t.same(entries.map((e) => [e.path, e.status, e.mode]), [
    ['f.txt', 'modified', '100644'],
    ['link', 'added', '120000'],
    ['new.txt', 'added', '100644'],
    ['old.txt', 'deleted', '000000'],
    ['run.sh', 'added', '100755'],
    ['sub', 'added', '160000'],
    ['was-file', 'type_changed', '120000'],
  ]);
  t.equal(entries.find((e) => e.path === 'sub')!.sha, git(path.join(ws.dir, 'sub'), 'rev-parse', 'HEAD'));
  const links = linkObjects(entries);
  t.equal(links.length, 2);
  const targets = await readBlobs(target, links);
  t.same([...targets.values()], ['f.txt'], 'one blob for both links');
  t.same(checkEntries(entries, targets), [{ path: 'sub', rule: 'gitlink', pattern: null }]);
  t.same(await diffTreeEntries(target, null, base), (await diffTreeEntries(target, null, base)).sort((a, b) => (a.path < b.path ? -1 : 1)), 'from null, sorted');
});

t.test('readBlobs reads several link targets exactly, non-ASCII ones too', async (t) => {
  const repo = makeRepo(t, { 'docs/dokumentü.md': 'd\n', 'a.txt': 'a\n', 'b.txt': 'b\n' });
  const { ws } = await makeWorkspace(t, repo, 'blobs');
  const target = workspaceTarget(ws);
  const base = git(repo, 'rev-parse', 'HEAD^{tree}');
  symlinkSync('docs/dokumentü.md', path.join(ws.dir, 'ü-link'));
  symlinkSync('a.txt', path.join(ws.dir, 'a-link'));
  symlinkSync('../b.txt', path.join(ws.dir, 'docs', 'b-link'));
  symlinkSync('日本語/ファイル.txt', path.join(ws.dir, 'jp-link'));
  symlinkSync('/etc/passwd', path.join(ws.dir, 'z-abs'));
  const entries = await diffTreeEntries(target, base, await snapshotTree(ws));
  const targets = await readBlobs(target, linkObjects(entries));
  const byPath = Object.fromEntries(entries.map((e) => [e.path, targets.get(e.sha)]));
  t.same(byPath, {
    'a-link': 'a.txt',
    'docs/b-link': '../b.txt',
    'jp-link': '日本語/ファイル.txt',
    'z-abs': '/etc/passwd',
    'ü-link': 'docs/dokumentü.md',
  });
  t.same(checkEntries(entries, targets), [{ path: 'z-abs', rule: 'symlink_escape', pattern: '/etc/passwd' }], 'only the absolute link is a violation');
  t.same(await readBlobs(target, []), new Map());
});

t.test('parsers', async (t) => {
  t.same(parseNameStatus('M\0a b\0R087\0old\0new\0C100\0x\0y\0D\0gone\0A\0add\0T\0link\0'), [
    { path: 'a b', status: 'modified' },
    { path: 'new', status: 'renamed', from: 'old' },
    { path: 'y', status: 'added' },
    { path: 'gone', status: 'deleted' },
    { path: 'add', status: 'added' },
    { path: 'link', status: 'modified' },
  ]);
  t.same(parseNumstat('3\t1\ta\0-\t-\tbin\0'), { files: 2, added: 3, removed: 1 });
  t.same(parseNumstat(''), { files: 0, added: 0, removed: 0 });
  const z = '0'.repeat(40);
  const a = 'a'.repeat(40);
  t.same(parseRaw(`:000000 100644 ${z} ${a} A\0new file\0:100644 000000 ${a} ${z} D\0gone\0:100644 120000 ${a} ${a} T\0lnk\0:100644 100755 ${a} ${a} M\0x\nnl\0junk\0`), [
    { path: 'new file', status: 'added', mode: '100644', sha: a },
    { path: 'gone', status: 'deleted', mode: '000000', sha: z },
    { path: 'lnk', status: 'type_changed', mode: '120000', sha: a },
    { path: 'x\nnl', status: 'modified', mode: '100755', sha: a },
  ]);
});

// git's tree diffs honour `submodule.<name>.ignore` from the work tree's .gitmodules: a worker
// that wrote `ignore = all` for its nested repository made the gitlink vanish from every diff
// the engine governs by, and the run completed with the gitlink (and the worker's URL) on
// the branch. A .gitmodules git cannot parse made the same diffs fail (exit 70).
t.test('a gitlink shows in every diff, whatever the work tree\'s .gitmodules says', async (t) => {
  for (const gitmodules of ['[submodule "sub"]\n\tpath = sub\n\turl = https://example.invalid/sub.git\n\tignore = all\n', '[[[\n']) {
    const repo = makeRepo(t, { 'a.txt': 'a\n' });
    const { ws } = await makeWorkspace(t, repo, 'sm');
    const target = workspaceTarget(ws);
    const base = git(repo, 'rev-parse', 'HEAD^{tree}');
    writeFiles(ws.dir, { '.gitmodules': gitmodules, 'sub/f': 'f\n' });
    git(path.join(ws.dir, 'sub'), 'init', '-q');
    git(path.join(ws.dir, 'sub'), 'add', 'f');
    git(path.join(ws.dir, 'sub'), '-c', 'user.name=a', '-c', 'user.email=a@b', 'commit', '-qm', 'x');
    const tree = await snapshotTree(ws);
    const entries = await diffTreeEntries(target, base, tree);
    t.ok(entries.some((e) => e.path === 'sub' && e.mode === '160000'), `diffTreeEntries shows the gitlink (${JSON.stringify(gitmodules.slice(0, 12))})`);
    const { files } = await measureTrees(target, base, tree);
    t.ok(files.some((f) => f.path === 'sub'), 'measureTrees too');
  }
});
