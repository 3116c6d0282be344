import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runBranchMoved } from '../../engine/git/run-branch.js';
import { git, makeEmptyRepo, makeRepo, makeWorkspace } from './fixtures/repo.js';

// The watch of the user's refs leaves refs/heads/engine/ out: runBranchMoved is what finds the
// run's own branch moved by anyone but the run (a verification command without the OS sandbox).

t.test('the branch where the run left it: nothing; moved, gone or made a symbolic ref: said', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'rb1');
  t.equal(runBranchMoved(ws, baseSha), null, 'at the base, as made');
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'other');
  const other = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'update-ref', 'refs/heads/engine/rb1', other);
  t.equal(runBranchMoved(ws, baseSha), `at ${other}`, 'moved to another commit');
  t.equal(runBranchMoved(ws, other), null, 'at the commit the run expects');
  git(repo, 'symbolic-ref', 'refs/heads/engine/rb1', 'refs/heads/main');
  t.match(runBranchMoved(ws, other), /^a symbolic ref to refs\/heads\/main$/, 'a symbolic ref to a branch at that very commit is no branch of the run');
  git(repo, 'update-ref', '--no-deref', '-d', 'refs/heads/engine/rb1');
  t.equal(runBranchMoved(ws, baseSha), 'gone', 'deleted');
});

t.test('a packed ref counts as git reads it; a loose ref file by hand wins over it, as in git', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'rb2');
  git(repo, 'pack-refs', '--all');
  t.equal(runBranchMoved(ws, baseSha), null, 'packed, at the base');
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'other');
  const other = git(repo, 'rev-parse', 'HEAD');
  // A loose file overrides the packed line: written by hand, without update-ref's newline.
  mkdirSync(path.join(repo, '.git', 'refs', 'heads', 'engine'), { recursive: true });
  writeFileSync(path.join(repo, '.git', 'refs', 'heads', 'engine', 'rb2'), other);
  t.equal(runBranchMoved(ws, baseSha), `at ${other}`, 'the loose file wins over the packed line');
  rmSync(path.join(repo, '.git', 'refs', 'heads', 'engine', 'rb2'));
  t.equal(runBranchMoved(ws, baseSha), null, 'the packed line again');
});

t.test('a FIFO at the ref name or at packed-refs does not hold the check (a git reading one would wait for ever); a link is no ref of the run', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'rb3');
  const ref = path.join(repo, '.git', 'refs', 'heads', 'engine', 'rb3');
  rmSync(ref);
  execFileSync('mkfifo', [ref]);
  t.equal(runBranchMoved(ws, baseSha), 'a special file, not a ref');
  rmSync(ref);
  execFileSync('mkfifo', [path.join(repo, '.git', 'packed-refs')]);
  t.match(runBranchMoved(ws, baseSha), /^unreadable packed-refs/);
  rmSync(path.join(repo, '.git', 'packed-refs'));
  writeFileSync(path.join(repo, 'elsewhere'), `${baseSha}\n`);
  symlinkSync(path.join(repo, 'elsewhere'), ref);
  t.match(runBranchMoved(ws, baseSha), /^a link to /);
});

t.test('an unborn repository: no branch is where the run left it; one made since is not', async (t) => {
  const repo = makeEmptyRepo(t);
  const { ws } = await makeWorkspace(t, repo, 'rb4');
  t.equal(runBranchMoved(ws, null), null);
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'first');
  git(repo, 'update-ref', 'refs/heads/engine/rb4', 'HEAD');
  t.match(runBranchMoved(ws, null), /^at [0-9a-f]{40}$/);
});

t.test('packed-refs is read again when it changed: a branch packed elsewhere, or rewritten in place with its times put back', async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'rb5');
  git(repo, 'pack-refs', '--all');
  const packed = path.join(repo, '.git', 'packed-refs');
  // Settled (two seconds old by its ctime is what keeps a reading): what was read is kept.
  await new Promise((r) => setTimeout(r, 2100));
  t.equal(runBranchMoved(ws, baseSha), null, 'packed, at the base');
  t.equal(runBranchMoved(ws, baseSha), null, 'again, from what was kept');
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'other');
  const other = git(repo, 'rev-parse', 'HEAD');
  git(repo, 'update-ref', 'refs/heads/engine/rb5', other);
  git(repo, 'pack-refs', '--all');
  t.equal(runBranchMoved(ws, baseSha), `at ${other}`, 'moved and packed again');
  await new Promise((r) => setTimeout(r, 2100));
  t.equal(runBranchMoved(ws, other), null, 'kept at the new place');
  // In place, the same size, mtime put back: only the ctime tells.
  const { mtime } = statSync(packed);
  writeFileSync(packed, readFileSync(packed, 'utf8').replace(other, baseSha!));
  utimesSync(packed, mtime, mtime);
  t.equal(runBranchMoved(ws, other), `at ${baseSha}`, 'a rewrite in place is read');
});
