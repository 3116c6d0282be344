import t from 'tap';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseRefused, wholeNames } from '../../engine/git/refused-paths.js';
import { restoreWorkspace } from '../../engine/git/restore.js';
import { gitStats } from '../../engine/git/run-git.js';
import { encodedFiles, reportedNumbers } from '../../engine/git/unconvertible.js';
import { snapshotTree } from '../../engine/git/snapshot.js';
import { engineGit, git, makeRepo, makeWorkspace, tempDir, writeFiles } from './fixtures/repo.js';

// What git refuses to stage from a workspace: a path it calls invalid (a component that is
// `.git` on a case-insensitive or Windows file system: `.GIT`, `GIT~1`, `.git ` with a trailing
// space or dot) and a file its working-tree-encoding attribute cannot convert. Each made
// `git add` fail, and the engine end with its own error (exit 70) on every resume. Each is
// now removed from the workspace and a git_refused finding, which the step's governance turns
// into a violation (its rollback then restores the workspace).

const refusedOf = (ws: { findings: { kind: string; path: string }[] }, from: number): string[] =>
  ws.findings.slice(from).filter((f) => f.kind === 'git_refused').map((f) => f.path).sort();

t.test('paths git calls invalid: every one removed and a finding, the rest staged, in one pass of git for any number', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'invalid');
  const bad = ['src/.GIT/x', 'src/GIT~1/y', 'src/.git /z', 'src/.git./w', "src/q'uote/.Git/v"];
  const many = Array.from({ length: 300 }, (_, i) => `many/.GIT/f${i}`);
  writeFiles(ws.dir, Object.fromEntries([...bad, ...many, 'ok.txt'].map((p) => [p, 'x\n'])));
  const before = ws.findings.length;
  const tree = await snapshotTree(ws).catch((e: Error) => e);
  t.type(tree, 'string', tree instanceof Error ? tree.message : 'a tree id');
  t.same(refusedOf(ws, before), [...bad, ...many].sort(), 'each refused path is a finding');
  for (const p of [...bad, ...many]) if (existsSync(path.join(ws.dir, p))) t.fail(`${p} is still in the workspace`);
  t.ok(existsSync(path.join(ws.dir, 'ok.txt')), 'the rest of the workspace is left');
  if (typeof tree === 'string') t.same(engineGit(ws, 'ls-tree', '-r', '--name-only', tree).split('\n').sort(), ['a.txt', 'ok.txt'], 'the tree holds the rest');
  await restoreWorkspace(ws, git(repo, 'rev-parse', `${baseSha}^{tree}`));
  t.notOk(existsSync(path.join(ws.dir, 'ok.txt')), 'the rollback restores the workspace');
});

t.test("files the repository's own working-tree-encoding attributes cannot convert: each removed and a finding, a convertible one staged", async (t) => {
  const attributes = 'nobom.txt working-tree-encoding=UTF-16\nnope.txt working-tree-encoding=NO-SUCH-ENCODING\nle.txt working-tree-encoding=UTF-16LE\nbom.txt working-tree-encoding=UTF-16LE\n';
  const repo = makeRepo(t, { 'a.txt': 'a\n', '.gitattributes': attributes });
  const { ws } = await makeWorkspace(t, repo, 'encoding');
  writeFiles(ws.dir, {
    'nobom.txt': Buffer.from([0xff]),
    'nope.txt': 'hi\n',
    'le.txt': Buffer.from('h\0i\0', 'binary'),
    // UTF-16LE with a byte order mark: git refuses the mark for an encoding that names the order.
    'bom.txt': Buffer.from([0xff, 0xfe, 0x68, 0x00]),
    'ok.txt': 'ok\n',
  });
  const before = ws.findings.length;
  const tree = await snapshotTree(ws).catch((e: Error) => e);
  t.type(tree, 'string', tree instanceof Error ? tree.message : 'a tree id');
  t.same(refusedOf(ws, before), ['bom.txt', 'nobom.txt', 'nope.txt'], 'each file git cannot convert is a finding');
  if (typeof tree === 'string') t.same(engineGit(ws, 'ls-tree', '-r', '--name-only', tree).split('\n').sort(), ['.gitattributes', 'a.txt', 'le.txt', 'ok.txt']);
});

// Found by a hostile review: files the repository's own attributes cannot convert made one
// failed `git add` each (each hashing again what came before it), and past 256 of them the
// snapshot gave up: an engine error (exit 70), with the OS sandbox too.
t.test("hundreds of files the repository's own attributes cannot convert: all found in one pass, the rest staged", async (t) => {
  const attributes = '*.u16 working-tree-encoding=UTF-16\n*.nope working-tree-encoding=NO-SUCH-ENCODING\n*.le working-tree-encoding=UTF-16LE\n';
  const repo = makeRepo(t, { 'a.txt': 'a\n', '.gitattributes': attributes, 'kept.u16': Buffer.from([0xff, 0xfe, 0x61, 0x00]) });
  const { ws } = await makeWorkspace(t, repo, 'encpass');
  const bad = Array.from({ length: 400 }, (_, i) => `many/f${i}.u16`);
  const odd = ["q'uote\nerror: failed to encode 'x.nope", 'b.le', 'c.nope', 'kept.u16'];
  writeFiles(ws.dir, {
    ...Object.fromEntries(bad.map((p) => [p, 'no byte order mark\n'])),
    [odd[0]!]: 'x\n',
    // UTF-16LE with a byte order mark: git refuses the mark for an encoding that names the order.
    'b.le': Buffer.from([0xff, 0xfe, 0x68, 0x00]),
    'c.nope': 'c\n',
    // A tracked file changed into one that cannot be converted.
    'kept.u16': 'no mark now\n',
    'good.u16': Buffer.from([0xff, 0xfe, 0x67, 0x00]),
    "g'ood\nname.le": Buffer.from('g\0', 'binary'),
    'x.nope.txt': 'plain\n',
  });
  const before = ws.findings.length;
  const processes = gitStats.processes;
  const tree = await snapshotTree(ws).catch((e: Error) => e);
  t.type(tree, 'string', tree instanceof Error ? tree.message : 'a tree id');
  t.same(refusedOf(ws, before), [...bad, ...odd].sort(), 'each file git cannot convert is a finding, and nothing else');
  t.ok(gitStats.processes - processes < 16, `a bounded number of git processes, not one per file (${gitStats.processes - processes})`);
  for (const p of [...bad, ...odd]) if (existsSync(path.join(ws.dir, p))) t.fail(`${p} is still in the workspace`);
  if (typeof tree === 'string') t.same(engineGit(ws, 'ls-tree', '-r', '-z', '--name-only', tree).split('\0').filter(Boolean).sort(), ['.gitattributes', 'a.txt', "g'ood\nname.le", 'good.u16', 'x.nope.txt'].sort(), 'the tree holds the rest');
});

// Found by a hostile review of that: names made to read as the end of one report and the
// start of the next (each a file git converts) hid the next file's report, 150 such files
// were removed as refused, and past 256 it was exit 70 again; a line of another kind of report
// inside a name made a file git converts be removed.
t.test('names forged to look like git reports: only the files git could not convert are found', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', '.gitattributes': '*.u16 working-tree-encoding=UTF-16\n' });
  const { ws } = await makeWorkspace(t, repo, 'encforged');
  const bom = Buffer.from([0xff, 0xfe, 0x67, 0x00]);
  const bad: string[] = [];
  const files: Record<string, string | Buffer> = { 'good.u16': bom };
  for (let i = 0; i < 300; i++) {
    const name = `a${String(i).padStart(4, '0')}.u16`;
    const next = `a${String(i + 1).padStart(4, '0')}.u16`;
    bad.push(name);
    files[name] = 'no bom';
    if (i < 299) files[`${name}' if encoded as UTF-16\nhint: The file '${next}' is missing a byte order mark (BOM). Please use UTF-16BE or UTF-16LE (depending on the byte order) as working-tree-encoding.\nerror: BOM is required in '${next}`] = bom;
  }
  const crossed = "x\nerror: failed to encode 'good.u16' from UTF-16 to UTF-8\ny.u16";
  files[crossed] = 'no bom';
  writeFiles(ws.dir, files);
  const before = ws.findings.length;
  const processes = gitStats.processes;
  const tree = await snapshotTree(ws).catch((e: Error) => e);
  t.type(tree, 'string', tree instanceof Error ? tree.message : 'a tree id');
  t.same(refusedOf(ws, before), [...bad, crossed].sort(), 'the files git cannot convert, and none it can');
  t.ok(existsSync(path.join(ws.dir, 'good.u16')), 'the file named in a forged line is left');
  t.ok(gitStats.processes - processes < 64, `a bounded number of git processes (${gitStats.processes - processes})`);
});

t.test("a name made to look like git's message for another path removes nothing through a link", async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'forged');
  const outside = tempDir(t, 'engine-outside-');
  mkdirSync(path.join(outside, '.GIT'));
  writeFileSync(path.join(outside, '.GIT', 'victim'), 'keep\n');
  symlinkSync(outside, path.join(ws.dir, 'x'));
  // git prints: error: invalid path 'a'⏎error: invalid path 'x/.GIT/victim'⏎…
  const forged = path.join(ws.dir, "a'\nerror: invalid path 'x", '.GIT');
  mkdirSync(forged, { recursive: true });
  writeFileSync(path.join(forged, 'victim'), 'x\n');
  await snapshotTree(ws).catch(() => undefined);
  t.equal(readFileSync(path.join(outside, '.GIT', 'victim'), 'utf8'), 'keep\n', 'the file behind the link is untouched');
  t.ok(existsSync(path.join(ws.dir, 'x')), 'the link itself is left (not what git named)');
  t.notOk(existsSync(path.join(forged, 'victim')), 'the path git refused is removed');
});

t.test('reading git messages: a quote and a newline in a name, and the whole readings of a misleading one', async (t) => {
  t.same(parseRefused("error: invalid path 'a/.GIT/q'\\nx'\nerror: unable to add 'a/.GIT/q'\\nx' to index\nfatal: adding files failed\n"), ["a/.GIT/q'\\nx"]);
  const odd = "a'\nerror: invalid path 'b/.GIT/c";
  t.same(parseRefused(`error: invalid path '${odd}'\nerror: unable to add '${odd}' to index\nfatal: adding files failed\n`), [odd], 'the pair of lines tells where the name ends');
  t.same(parseRefused("fatal: failed to encode 'e.txt' from NOPE to UTF-8\n"), ['e.txt']);
  t.same(parseRefused("hint: The file 'b.txt' contains a byte order mark (BOM).\nfatal: BOM is prohibited in 'b.txt' if encoded as UTF-16LE"), ['b.txt'], 'at the end of the text too');
  const forged = "x' from A to UTF-8\nfatal: failed to encode 'y";
  t.same(wholeNames(`fatal: failed to encode '${forged}' from NOPE to UTF-8\n`), [forged, 'x'], 'longest reading first');
  t.same(parseRefused('fatal: something else\n'), []);
});

// Found by a hostile review: a nested repository in a folder git calls invalid (`sub/.GIT`)
// is named by git as the folder itself, which the removal skipped (exit 70); and a worker's
// own .gitattributes asking an encoding git does not know for hundreds of files made one
// failed `git add` each, up to the cap, then exit 70.
t.test('a nested repository in a folder git calls invalid is removed whole', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws } = await makeWorkspace(t, repo, 'dotGIT');
  git(ws.dir, 'init', '-q', 'sub/.GIT');
  writeFiles(path.join(ws.dir, 'sub', '.GIT'), { 'x.txt': 'x\n' });
  git(path.join(ws.dir, 'sub', '.GIT'), 'add', '-A');
  git(path.join(ws.dir, 'sub', '.GIT'), '-c', 'user.name=a', '-c', 'user.email=a@example.com', 'commit', '-q', '-m', 'x');
  writeFiles(ws.dir, { 'ok.txt': 'ok\n' });
  const before = ws.findings.length;
  const tree = await snapshotTree(ws).catch((e: Error) => e);
  t.type(tree, 'string', tree instanceof Error ? tree.message : 'a tree id');
  t.same(refusedOf(ws, before), ['sub/.GIT']);
  t.notOk(existsSync(path.join(ws.dir, 'sub', '.GIT')), 'removed');
});

t.test("a worker's attributes asking an unknown encoding for hundreds of files: the attributes file goes, in one retry", async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', '.gitattributes': '*.u16 working-tree-encoding=UTF-16LE\n' });
  const { ws } = await makeWorkspace(t, repo, 'encmany');
  const files: Record<string, string> = { 'src/.gitattributes': 'z* working-tree-encoding=NO-SUCH-ENCODING\n' };
  for (let i = 0; i < 300; i++) files[`src/z${i}`] = `${i}\n`;
  writeFiles(ws.dir, files);
  const before = ws.findings.length;
  const tree = await snapshotTree(ws).catch((e: Error) => e);
  t.type(tree, 'string', tree instanceof Error ? tree.message : 'a tree id');
  t.same(refusedOf(ws, before), ['src/.gitattributes'], 'the attributes file that asked for it is the finding');
  t.ok(existsSync(path.join(ws.dir, '.gitattributes')), "the repository's own attributes are left");
  if (typeof tree === 'string') t.ok(engineGit(ws, 'ls-tree', '-r', '--name-only', tree).split('\n').includes('src/z299'), 'the files are staged as they are');
});

t.test('reading git messages: a file git could not open to index it', async (t) => {
  t.same(parseRefused(`error: open("src/x"): Permission denied\nerror: unable to index file 'src/x'\nfatal: adding files failed\n`), ['src/x']);
});

t.test("reading the conversions git could not make: the engine's own numbered names only", async (t) => {
  const stderr = "error: failed to encode 'e0/f3' from NOPE to UTF-8\nhint: The file 'e1/f1' is missing a byte order mark (BOM).\nerror: BOM is required in 'e1/f1' if encoded as UTF-16\nerror: BOM is prohibited in 'e2/f12' if encoded as UTF-16LE";
  t.same(reportedNumbers(stderr), [1, 3, 12], "each report's number");
  t.same(reportedNumbers("error: failed to encode 'e0/f1' from X to UTF-8 and more\nerror: failed to encode 'f1' from X to UTF-8\n  error: failed to encode 'e0/f2' from X to UTF-8"), [], 'nothing but a whole report of a numbered name at the start of a line');
  t.same(encodedFiles(`a\0working-tree-encoding\0UTF-16\0b\0working-tree-encoding\0unspecified\0c\0working-tree-encoding\0unset\0d\0working-tree-encoding\0set\0e\0working-tree-encoding\0A B\0f\0working-tree-encoding\0${'A'.repeat(1025)}\0`), [{ path: 'a', encoding: 'UTF-16' }, { path: 'd', encoding: 'set' }]);
});

// A second review: a folder's name with a line break put a line of a report into another of
// git's warnings (an attributes macro where none is allowed names its file), and a file git
// converts was removed; a repository's attributes that only its index held (the worker removed
// the file) were read by `git add` and `check-attr` but not by `hash-object`: one failed
// `git add` per file again, and past 256 an engine error.
t.test("a report forged in another warning removes nothing git converts; attributes only the index holds are found", async (t) => {
  const bom = Buffer.from([0xff, 0xfe, 0x67, 0x00]);
  const tracked: Record<string, string | Buffer> = { 'a.txt': 'a\n', '.gitattributes': '*.u16 working-tree-encoding=UTF-16\n' };
  for (let i = 0; i < 300; i++) tracked[`-${String(i).padStart(3, '0')}.u16`] = bom;
  const repo = makeRepo(t, tracked);
  const { ws } = await makeWorkspace(t, repo, 'encindex');
  const forgedDir = "d\nerror: failed to encode '";
  const files: Record<string, string | Buffer> = { 'bad.u16': 'no bom', [`${forgedDir}/.gitattributes`]: '[attr]m x\n', [`${forgedDir}/ok.u16`]: bom };
  for (let i = 0; i < 300; i++) files[`-${String(i).padStart(3, '0')}.u16`] = 'no bom now';
  writeFiles(ws.dir, files);
  rmSync(path.join(ws.dir, '.gitattributes'));
  const before = ws.findings.length;
  const tree = await snapshotTree(ws).catch((e: Error) => e);
  t.type(tree, 'string', tree instanceof Error ? tree.message : 'a tree id');
  const refused = refusedOf(ws, before);
  t.ok(refused.includes('bad.u16'), 'the file git cannot convert is found');
  t.notOk(refused.includes(`${forgedDir}/ok.u16`), 'the file git converts is not');
  t.ok(existsSync(path.join(ws.dir, forgedDir, 'ok.u16')), 'and is left');
  t.ok(refused.filter((p) => p.startsWith('-')).length === 300, 'the 300 files converted under the attributes the index holds are found');
});

// A third review: a worker's attributes giving working-tree-encoding no value (git: "true/false
// are no valid working-tree-encodings", naming no file) were an engine error at once; ones in
// an attributes file the ignore rules cover were never removed (300 files: one failed
// `git add` each, then exit 70); and hard links to one file the review made as many as the
// file system allows left nothing to link for the check.
t.test("a worker's attributes without an encoding value, or in an ignored attributes file, are removed in one step", async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', '.gitignore': '.gitattributes\n' });
  for (const [name, attrs] of [['valueless', '*.x working-tree-encoding\n'], ['ignored', '*.x working-tree-encoding=set\n']] as const) {
    const { ws } = await makeWorkspace(t, repo, name);
    const files: Record<string, string> = { 'sub/.gitattributes': attrs };
    for (let i = 0; i < 300; i++) files[`sub/f${i}.x`] = `${i}\n`;
    writeFiles(ws.dir, files);
    const before = ws.findings.length;
    const tree = await snapshotTree(ws).catch((e: Error) => e);
    t.type(tree, 'string', `${name}: ${tree instanceof Error ? tree.message : 'a tree id'}`);
    t.same(refusedOf(ws, before), ['sub/.gitattributes'], `${name}: the attributes file is the finding`);
  }
});

t.test('hard links to a file git cannot convert: every name found, the file checked once', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', '.gitattributes': '*.u16 working-tree-encoding=UTF-16\n' });
  const { ws } = await makeWorkspace(t, repo, 'enclinks');
  writeFiles(ws.dir, { 'l/a.u16': 'no bom', 'ok.u16': Buffer.from([0xff, 0xfe, 0x67, 0x00]) });
  const names = ['l/a.u16'];
  for (let i = 0; i < 500; i++) {
    names.push(`l/n${i}.u16`);
    linkSync(path.join(ws.dir, 'l/a.u16'), path.join(ws.dir, `l/n${i}.u16`));
  }
  const before = ws.findings.length;
  const tree = await snapshotTree(ws).catch((e: Error) => e);
  t.type(tree, 'string', tree instanceof Error ? tree.message : 'a tree id');
  t.same(refusedOf(ws, before), names.sort(), 'each name of the file');
});

t.test("the repository's own attributes without an encoding value: each file they cover is found without a git add each", async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n', '.gitattributes': '*.x working-tree-encoding\n' });
  const { ws } = await makeWorkspace(t, repo, 'repovalueless');
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i++) files[`f${i}.x`] = `${i}\n`;
  writeFiles(ws.dir, files);
  const before = ws.findings.length;
  const processes = gitStats.processes;
  const tree = await snapshotTree(ws).catch((e: Error) => e);
  t.type(tree, 'string', tree instanceof Error ? tree.message : 'a tree id');
  t.same(refusedOf(ws, before), Object.keys(files).sort(), 'each file is a finding');
  t.ok(gitStats.processes - processes < 16, `a bounded number of git processes (${gitStats.processes - processes})`);
  t.same(parseRefused(`fatal: failed to encode 'long.x' from ${'A'.repeat(2000)} to UTF-8\n`), ['long.x'], 'a long encoding name after the path');
});
