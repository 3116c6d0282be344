import t from 'tap';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import path from 'node:path';
import { commitCheckpoint, oneLine, renderCheckpointMessage, writeCommitObject, type CheckpointMessage } from '../../engine/git/checkpoint.js';
import { gitStats } from '../../engine/git/run-git.js';
import { snapshotTree } from '../../engine/git/snapshot.js';
import { treeHash } from '../../engine/git/repo.js';
import { git, makeEmptyRepo, makeRepo, makeWorkspace, plantCommand, readLog, tempDir, testEnv, writeFiles } from './fixtures/repo.js';

const author = { name: 'Engine', email: 'engine@localhost' };
const date = new Date('2024-05-01T12:00:00Z');
const message: CheckpointMessage = { title: 'milestone 1 m1: write a', runId: 'run-1', milestone: '1 m1', step: 'checkpoint' };

t.test('commits the given tree on the run branch with the identity and date, objects in the user repo', async (t) => {
  const repo = makeRepo(t, { 'keep.txt': 'k\n', 'edit.txt': 'old\n', 'drop.txt': 'd\n' });
  const userHead = git(repo, 'rev-parse', 'HEAD');
  const { ws, baseSha } = await makeWorkspace(t, repo, 'cp1');
  writeFiles(ws.dir, { 'edit.txt': 'new\n', 'sub dir/nëw file.txt': 'n\n' });
  rmSync(path.join(ws.dir, 'drop.txt'));
  const tree = await snapshotTree(ws);
  const sha = await commitCheckpoint({ ws, tree, parent: baseSha, message, author, date });
  t.equal(git(repo, 'rev-parse', 'engine/cp1'), sha);
  t.equal(await treeHash({ gitDir: path.join(repo, '.git') }, sha), tree);
  t.equal(git(repo, 'rev-parse', `${sha}^`), userHead, 'parent is the base');
  const secs = date.getTime() / 1000;
  t.equal(git(repo, 'log', '-1', '--format=%an <%ae>|%cn <%ce>|%at|%ct|%s', sha), `Engine <engine@localhost>|Engine <engine@localhost>|${secs}|${secs}|engine: milestone 1 m1: write a`);
  t.same(git(repo, 'ls-tree', '-r', '-z', '--name-only', sha).split('\0').filter(Boolean), ['edit.txt', 'keep.txt', 'sub dir/nëw file.txt']);
  t.equal(git(repo, 'rev-parse', 'HEAD'), userHead, 'user HEAD unchanged');
  git(repo, 'fsck', '--connectivity-only', '--no-dangling');
  t.match(git(repo, 'reflog', 'show', '--format=%gs', 'engine/cp1'), /engine: checkpoint/);
});

t.test('commits exactly the tree it is given, not what is in the workspace by then', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'exact');
  writeFiles(ws.dir, { 'checked.txt': 'checked\n' });
  const tree = await snapshotTree(ws);
  writeFiles(ws.dir, { 'slipped-in.txt': 'late\n', 'checked.txt': 'rewritten\n' });
  const sha = await commitCheckpoint({ ws, tree, parent: baseSha, message, author, date });
  t.same(git(repo, 'ls-tree', '--name-only', sha).split('\n'), ['a.txt', 'checked.txt']);
  t.equal(git(repo, 'show', `${sha}:checked.txt`), 'checked');
});

t.test('the first checkpoint in an unborn repo is a root commit; the user branch stays unborn', async (t) => {
  const repo = makeEmptyRepo(t);
  const { ws } = await makeWorkspace(t, repo, 'root');
  writeFiles(ws.dir, { 'src/index.js': 'console.log(1)\n' });
  const sha = await commitCheckpoint({ ws, tree: await snapshotTree(ws), parent: null, message, author, date });
  t.equal(git(repo, 'rev-list', '--parents', 'engine/root'), sha, 'one commit, no parent');
  writeFiles(ws.dir, { 'src/index.js': 'console.log(2)\n' });
  const sha2 = await commitCheckpoint({ ws, tree: await snapshotTree(ws), parent: sha, message, author, date });
  t.equal(git(repo, 'rev-parse', `${sha2}^`), sha);
  t.throws(() => git(repo, 'rev-parse', '--verify', '-q', 'HEAD'), 'the user branch is still unborn');
  t.equal(git(repo, 'symbolic-ref', 'HEAD'), 'refs/heads/main');
});

t.test('same inputs, same date, same identity: same commit id in two separate repos', async (t) => {
  const shas: string[] = [];
  const rootShas: string[] = [];
  for (const n of [1, 2]) {
    const repo = makeRepo(t, { 'a.txt': 'a\n' });
    const { ws, baseSha } = await makeWorkspace(t, repo, `det-${n}`);
    writeFiles(ws.dir, { 'b.txt': 'b\n', 'a.txt': 'a2\n' });
    shas.push(await commitCheckpoint({ ws, tree: await snapshotTree(ws), parent: baseSha, message, author, date }));
    const empty = makeEmptyRepo(t);
    const o = await makeWorkspace(t, empty, `deto-${n}`);
    writeFiles(o.ws.dir, { 'x.txt': 'x\n' });
    rootShas.push(await commitCheckpoint({ ws: o.ws, tree: await snapshotTree(o.ws), parent: null, message, author, date }));
  }
  t.equal(shas[0], shas[1]);
  t.equal(rootShas[0], rootShas[1]);
  t.not(shas[0], rootShas[0]);
  // Any input that differs gives another id.
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'det-3');
  writeFiles(ws.dir, { 'b.txt': 'b\n', 'a.txt': 'a2\n' });
  const tree = await snapshotTree(ws);
  t.equal(await commitCheckpoint({ ws, tree, parent: baseSha, message, author, date }), shas[0]);
  t.not(await commitCheckpoint({ ws, tree, parent: shas[0]!, message, author, date: new Date(date.getTime() + 1000) }), shas[0]);
});

t.test('compare-and-swap: a run branch that moved meanwhile is not overwritten', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'cas');
  writeFiles(ws.dir, { 'b.txt': 'b\n' });
  const tree = await snapshotTree(ws);
  const first = await commitCheckpoint({ ws, tree, parent: baseSha, message, author, date });
  // Someone moves the branch.
  writeFiles(repo, { 'other.txt': 'o\n' });
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'other');
  const moved = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'update-ref', 'refs/heads/engine/cas', moved);
  writeFiles(ws.dir, { 'c.txt': 'c\n' });
  await t.rejects(commitCheckpoint({ ws, tree: await snapshotTree(ws), parent: first, message, author, date }), /engine\/cas/);
  t.equal(git(repo, 'rev-parse', 'engine/cas'), moved, 'the moved branch is kept');
  // On an unborn repo the first checkpoint requires the branch to be absent.
  const empty = makeEmptyRepo(t);
  const o = await makeWorkspace(t, empty, 'cas0');
  writeFiles(o.ws.dir, { 'x.txt': 'x\n' });
  const otree = await snapshotTree(o.ws);
  const squatter = await commitCheckpoint({ ws: o.ws, tree: otree, parent: null, message: { ...message, title: 'squatter' }, author, date });
  await t.rejects(commitCheckpoint({ ws: o.ws, tree: otree, parent: null, message, author, date }), /engine\/cas0/);
  t.equal(git(empty, 'rev-parse', 'engine/cas0'), squatter);
});

t.test('two checkpoints racing from the same parent: exactly one moves the branch', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'race');
  writeFiles(ws.dir, { 'one.txt': '1\n' });
  const t1 = await snapshotTree(ws);
  writeFiles(ws.dir, { 'two.txt': '2\n' });
  const t2 = await snapshotTree(ws);
  const results = await Promise.allSettled([
    commitCheckpoint({ ws, tree: t1, parent: baseSha, message, author, date }),
    commitCheckpoint({ ws, tree: t2, parent: baseSha, message, author, date }),
  ]);
  const won = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<string>[];
  t.equal(won.length, 1, results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok')).join(' / '));
  t.equal(git(repo, 'rev-parse', 'engine/race'), won[0]?.value);
  t.equal(git(repo, 'rev-parse', 'engine/race^'), baseSha);
});

t.test('no hook runs: the user repo hooks and a hooksPath in their config', async (t) => {
  const repo = makeRepo(t);
  const log = path.join(tempDir(t), 'hook.log');
  const hooks = ['pre-commit', 'post-commit', 'commit-msg', 'prepare-commit-msg', 'reference-transaction', 'post-checkout', 'post-index-change', 'pre-auto-gc', 'post-rewrite'];
  for (const h of hooks) plantCommand(path.join(repo, '.git', 'hooks'), h, log);
  const other = tempDir(t);
  for (const h of hooks) plantCommand(other, h, log);
  git(repo, 'config', 'core.hooksPath', other);
  // Control: the hooks are live for the user's own git.
  git(repo, 'update-ref', 'refs/heads/probe', 'HEAD');
  t.match(readLog(log), /reference-transaction/);
  rmSync(log);
  const { ws, baseSha } = await makeWorkspace(t, repo, 'hooks');
  writeFiles(ws.dir, { 'work.txt': 'w\n' });
  const sha = await commitCheckpoint({ ws, tree: await snapshotTree(ws), parent: baseSha, message, author, date });
  t.equal(git(repo, 'rev-parse', 'engine/hooks'), sha);
  t.equal(readLog(log), '', 'no hook ran');
  t.equal(git(repo, 'config', 'core.hooksPath'), other, 'user config left as it was');
});

t.test('commit signing configured in the user repo is not used', async (t) => {
  const repo = makeRepo(t);
  git(repo, 'config', 'commit.gpgsign', 'true');
  git(repo, 'config', 'gpg.program', '/nonexistent/gpg');
  const { ws, baseSha } = await makeWorkspace(t, repo, 'sign');
  writeFiles(ws.dir, { 'f.txt': 'f\n' });
  const sha = await commitCheckpoint({ ws, tree: await snapshotTree(ws), parent: baseSha, message, author, date });
  t.notMatch(git(repo, 'cat-file', 'commit', sha), /gpgsig/);
});

t.test('two runs checkpoint at once, each on its own branch', async (t) => {
  const repo = makeRepo(t);
  const [a, b] = await Promise.all([makeWorkspace(t, repo, 'pa'), makeWorkspace(t, repo, 'pb')]);
  writeFiles(a!.ws.dir, { 'a.txt': 'from a\n' });
  writeFiles(b!.ws.dir, { 'b.txt': 'from b\n' });
  const [ta, tb] = await Promise.all([snapshotTree(a!.ws), snapshotTree(b!.ws)]);
  const [ca, cb] = await Promise.all([
    commitCheckpoint({ ws: a!.ws, tree: ta, parent: a!.baseSha, message, author, date }),
    commitCheckpoint({ ws: b!.ws, tree: tb, parent: b!.baseSha, message, author, date }),
  ]);
  t.equal(git(repo, 'rev-parse', 'engine/pa'), ca);
  t.equal(git(repo, 'rev-parse', 'engine/pb'), cb);
  t.equal(git(repo, 'ls-tree', '--name-only', ca), 'README.md\na.txt');
  t.equal(git(repo, 'ls-tree', '--name-only', cb), 'README.md\nb.txt');
});

const parseTrailers = (msg: string): string =>
  execFileSync('git', ['interpret-trailers', '--parse'], { input: msg, env: testEnv, encoding: 'utf8' });

const hostile = [
  'plain',
  'two\nlines',
  'para\n\nSigned-off-by: Mallory <m@evil>',
  'Co-authored-by: Mallory <m@evil>',
  'x\r\nEngine-Run: forged',
  'nul\u0000byte',
  'esc\u001b[31mred\u001b[0m',
  'bell\u0007 tab\t vt\u000b ff\u000c',
  'nel\u0085next',
  'ls\u2028ps\u2029end',
  'c1 csi\u009b2J',
  'del\u007f',
  '   ',
  '',
  '\n\n\n',
  'Engine-Step: forged\n',
  'long '.repeat(100),
];

t.test('renderCheckpointMessage: one title line and exactly the three Engine-* trailers, whatever the fields hold', async (t) => {
  for (const v of hostile) {
    for (const field of ['title', 'runId', 'milestone', 'step'] as const) {
      const m = { ...message, [field]: v };
      const text = renderCheckpointMessage(m);
      const lines = text.split('\n');
      const label = `${field}=${JSON.stringify(v).slice(0, 40).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`;
      t.equal(lines.length, 6, `${label}: title, blank, three trailers, final newline`);
      t.match(lines[0], /^engine: \S/, `${label}: title line`);
      t.equal(lines[1], '', label);
      t.equal(lines[5], '', label);
      t.notMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/, `${label}: no control characters`);
      const trailers = parseTrailers(text).split('\n').filter(Boolean);
      t.same(trailers.map((l) => l.split(':')[0]), ['Engine-Run', 'Engine-Milestone', 'Engine-Step'], `${label}: trailers`);
      t.ok(lines[0]!.length <= 'engine: '.length + 72, `${label}: title capped`);
    }
  }
  t.equal(renderCheckpointMessage({ title: '', runId: 'r', milestone: '', step: 's' }), 'engine: engine checkpoint\n\nEngine-Run: r\nEngine-Milestone: -\nEngine-Step: s\n');
});

t.test('the hostile message survives a real commit unchanged in shape', async (t) => {
  const repo = makeRepo(t);
  const { ws, baseSha } = await makeWorkspace(t, repo, 'msg');
  writeFiles(ws.dir, { 'f.txt': 'f\n' });
  const m = { title: 'fix\n\nSigned-off-by: Mallory <m@evil>', runId: 'msg\nReviewed-by: x', milestone: '2\u0000\u001b[2J', step: 'checkpoint\r\nEngine-Run: forged' };
  const sha = await commitCheckpoint({ ws, tree: await snapshotTree(ws), parent: baseSha, message: m, author, date });
  const body = git(repo, 'log', '-1', '--format=%B', sha);
  t.equal(`${body}\n`, renderCheckpointMessage(m));
  t.same(git(repo, 'log', '-1', '--format=%(trailers:only,unfold,key=Signed-off-by)', sha), '', 'no Signed-off-by trailer');
  t.same(parseTrailers(`${body}\n`).split('\n').filter(Boolean).map((l) => l.split(':')[0]), ['Engine-Run', 'Engine-Milestone', 'Engine-Step']);
  t.equal(git(repo, 'log', '-1', '--format=%s', sha), 'engine: fix Signed-off-by: Mallory <m@evil>');
});

t.test('oneLine folds breaks and control characters to single spaces', async (t) => {
  t.equal(oneLine('a\r\n\tb\u0000\u0000c  d\u2028e\u0085f'), 'a b c d e f');
  t.equal(oneLine('\n  \n'), '');
  t.equal(oneLine('ünï cödé'), 'ünï cödé');
});

t.test('a missing tree or parent fails without moving the branch', async (t) => {
  const repo = makeRepo(t);
  const { ws, baseSha } = await makeWorkspace(t, repo, 'bad');
  await t.rejects(commitCheckpoint({ ws, tree: '0'.repeat(40), parent: baseSha, message, author, date }));
  t.equal(git(repo, 'rev-parse', 'engine/bad'), baseSha);
  t.notOk(existsSync(path.join(repo, '.git', 'index.lock')));
  t.ok(readFileSync(path.join(repo, '.git', 'HEAD'), 'utf8').startsWith('ref: refs/heads/main'));
});

t.test('the commit object the engine writes itself is byte for byte the one commit-tree makes', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'own');
  writeFiles(ws.dir, { 'b.txt': 'b\n' });
  const tree = await snapshotTree(ws);
  const cases: [{ name: string; email: string }, CheckpointMessage, string | null][] = [
    [author, message, baseSha],
    [{ name: 'Zoë Ünïcode 名前', email: 'zoe@example.com' }, { title: 'ß ✓ \u{1F600} milestone', runId: 'r', milestone: '2 m2', step: 's' }, baseSha],
    [author, { ...message, title: 'root' }, null],
  ];
  for (const [who, msg, parent] of cases) {
    const before = gitStats.processes;
    const own = writeCommitObject({ ws, tree, parent, author: who, date, message: msg });
    t.equal(gitStats.processes, before, 'no git process');
    const viaGit = execFileSync('git', [`--git-dir=${ws.gitDir}`, 'commit-tree', tree, ...(parent ? ['-p', parent] : []), '-F', '-'], {
      input: renderCheckpointMessage(msg),
      env: { ...testEnv, GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email, GIT_COMMITTER_NAME: who.name, GIT_COMMITTER_EMAIL: who.email, GIT_AUTHOR_DATE: `@${date.getTime() / 1000} +0000`, GIT_COMMITTER_DATE: `@${date.getTime() / 1000} +0000` },
      encoding: 'utf8',
    }).trim();
    t.equal(own, viaGit, `${who.name}: the same id`);
    t.equal(execFileSync('git', [`--git-dir=${ws.gitDir}`, 'cat-file', '-t', own!], { encoding: 'utf8' }).trim(), 'commit', 'a valid object git reads');
  }
  // Inputs it does not vouch for are left to git: an identity git would trim, a tree or parent it cannot find loose.
  t.equal(writeCommitObject({ ws, tree, parent: baseSha, author: { name: ' Padded.', email: 'x@y' }, date, message }), null);
  t.equal(writeCommitObject({ ws, tree: '0'.repeat(40), parent: baseSha, author, date, message }), null);
  t.equal(writeCommitObject({ ws, tree, parent: tree, author, date, message }), null, 'a parent that is not a commit');
  git(repo, 'gc', '-q');
  t.equal(writeCommitObject({ ws, tree, parent: baseSha, author, date, message }), null, 'a packed parent');
  const sha = await commitCheckpoint({ ws, tree, parent: baseSha, message, author, date, newObjects: newObjectsOf(ws, baseSha!, tree) });
  t.equal(git(repo, 'rev-parse', 'engine/own'), sha, 'and the checkpoint still commits, through git');
  git(repo, 'fsck', '--connectivity-only', '--no-dangling');
});

t.test('a checkpoint with its new objects known: one git process (update-ref), a commit git can check', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'fast');
  writeFiles(ws.dir, { 'sub/b.txt': 'b\n' });
  const tree = await snapshotTree(ws);
  const newObjects = newObjectsOf(ws, baseSha!, tree);
  const before = gitStats.processes;
  const sha = await commitCheckpoint({ ws, tree, parent: baseSha, message, author, date, newObjects });
  t.equal(gitStats.processes - before, 1);
  t.equal(git(repo, 'rev-parse', 'engine/fast'), sha);
  t.equal(git(repo, 'show', `${sha}:sub/b.txt`), 'b');
  git(repo, 'fsck', '--connectivity-only', '--no-dangling');
});

// Without the OS sandbox a process a worker left behind can rewrite an object file of the
// engine's store after the gate read it: the checkpoint must not carry forged content into the
// user's store, nor trust an object file planted at the commit's own name.
t.test('an object file rewritten after the gate: refused, nothing reaches the user, the branch stays', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'forged');
  writeFiles(ws.dir, { 'src/b.txt': 'b\n' });
  const tree = await snapshotTree(ws);
  const newObjects = newObjectsOf(ws, baseSha!, tree);
  // Another tree, with a path the gate never saw, put at the checked tree's name.
  writeFiles(ws.dir, { '.github/workflows/evil.yml': 'run: evil\n' });
  const forged = await snapshotTree(ws);
  const at = (id: string) => path.join(ws.gitDir, 'objects', id.slice(0, 2), id.slice(2));
  rmSync(at(tree), { force: true });
  copyFileSync(at(forged), at(tree));
  await t.rejects(commitCheckpoint({ ws, tree, parent: baseSha, message, author, date, newObjects }), { name: 'ForgedObjectError', path: at(tree) });
  t.notOk(existsSync(path.join(repo, '.git', 'objects', tree.slice(0, 2), tree.slice(2))), "the forged object is not in the user's store");
  t.equal(git(repo, 'rev-parse', 'engine/forged'), baseSha, 'the run branch did not move');
});

t.test("an object file planted at the commit's own name is written over with the real commit", async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'planted');
  writeFiles(ws.dir, { 'b.txt': 'b\n' });
  const tree = await snapshotTree(ws);
  const sha = writeCommitObject({ ws, tree, parent: baseSha, author, date, message })!;
  const file = path.join(ws.gitDir, 'objects', sha.slice(0, 2), sha.slice(2));
  rmSync(file);
  writeFileSync(file, deflateSync(Buffer.from('commit 5\0forge')));
  t.equal(writeCommitObject({ ws, tree, parent: baseSha, author, date, message }), sha);
  t.equal(createHash('sha1').update(inflateSync(readFileSync(file))).digest('hex'), sha, 'the file holds the commit its name says');
  const made = await commitCheckpoint({ ws, tree, parent: baseSha, message, author, date, newObjects: newObjectsOf(ws, baseSha!, tree) });
  t.equal(made, sha);
  git(repo, 'fsck', '--no-dangling');
});

/** What the checkpoint gate's diff lists as new: the tree and every object the diff adds. */
function newObjectsOf(ws: { gitDir: string }, from: string, to: string): string[] {
  const out = execFileSync('git', [`--git-dir=${ws.gitDir}`, 'diff-tree', '-r', '-t', '--raw', '--no-abbrev', from, to], { encoding: 'utf8' });
  return [to, ...out.split('\n').filter(Boolean).map((l) => l.split(' ')[3]!)];
}

// An engine stopped after the branch moved and before the checkpoint was recorded repeats the
// checkpoint on resume, at another time: the branch holds that checkpoint under another id.
t.test('a branch already at this very checkpoint, made at another time, is taken as it; any other commit there is refused', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'again');
  writeFiles(ws.dir, { 'a.txt': 'approved\n' });
  const tree = await snapshotTree(ws);
  const first = await commitCheckpoint({ ws, tree, parent: baseSha, message, author, date });
  const later = new Date(date.getTime() + 3_600_000);
  t.equal(await commitCheckpoint({ ws, tree, parent: baseSha, message, author, date: later }), first, 'the same checkpoint, an hour later: the one on the branch');
  t.equal(git(repo, 'rev-list', '--count', `${baseSha}..engine/again`), '1', 'made once');

  // What a worker that could write the user's repository (no OS sandbox) might put there instead.
  writeFiles(ws.dir, { 'a.txt': 'evil\n' });
  const evil = await snapshotTree(ws);
  const secs = date.getTime() / 1000;
  const who = (ident: string) => `author ${ident} ${secs} +0000\ncommitter ${ident} ${secs} +0000\n`;
  const body = renderCheckpointMessage(message);
  const forged = {
    'a second tree header naming the approved tree': `tree ${evil}\nparent ${baseSha}\n${who('Engine <engine@localhost>')}tree ${tree}\n\n${body}`,
    'another author': `tree ${tree}\nparent ${baseSha}\n${who('Mallory <m@example.com>')}\n${body}`,
    'another message': `tree ${tree}\nparent ${baseSha}\n${who('Engine <engine@localhost>')}\n${body}extra line\n`,
    'an extra header': `tree ${tree}\nparent ${baseSha}\n${who('Engine <engine@localhost>')}encoding ISO-8859-1\n\n${body}`,
  };
  for (const [what, text] of Object.entries(forged)) {
    const sha = execFileSync('git', ['-C', repo, 'hash-object', '-t', 'commit', '-w', '--literally', '--stdin'], { input: text, encoding: 'utf8' }).trim();
    git(repo, 'update-ref', 'refs/heads/engine/again', sha);
    await t.rejects(commitCheckpoint({ ws, tree, parent: baseSha, message, author, date: later }), { name: 'BranchMovedError', message: new RegExp(`branch engine/again is at ${sha}, not at ${baseSha} where the run left it: something other than this run moved it; set it back \\(git branch -f engine/again ${baseSha}\\)`) }, `${what}: refused`);
    t.equal(git(repo, 'rev-parse', 'engine/again'), sha, `${what}: the branch is left where it was found`);
  }
});

t.test('an identity git trims (git commits it): the same checkpoint made later is still taken as it', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'trimmed');
  writeFiles(ws.dir, { 'a.txt': 'approved\n' });
  const tree = await snapshotTree(ws);
  const jane = { name: 'Jane Q. Public Jr.', email: 'jane@example.com' };
  const first = await commitCheckpoint({ ws, tree, parent: baseSha, message, author: jane, date });
  t.equal(git(repo, 'log', '-1', '--format=%an', first), 'Jane Q. Public Jr', 'git trimmed the name');
  t.equal(await commitCheckpoint({ ws, tree, parent: baseSha, message, author: jane, date: new Date(date.getTime() + 60_000) }), first);
  await t.rejects(commitCheckpoint({ ws, tree, parent: baseSha, message, author: author, date }), { name: 'BranchMovedError' }, 'another identity: refused');
});
