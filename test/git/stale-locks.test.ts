import t from 'tap';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { branchLockIn, locksInGitDir, lockPath, removeLock } from '../../engine/git/stale-locks.js';

// What the engine takes for git's lock files, and how it removes them: never through a link a
// process left running can swap in under refs/ (a removal by name would delete the user's
// Cargo.lock wherever the link points).

function gitDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-locks-'));
  const g = path.join(dir, 'ws.git');
  mkdirSync(path.join(g, 'refs', 'heads', 'engine'), { recursive: true });
  const victim = path.join(dir, 'victim');
  mkdirSync(path.join(victim, 'dir.lock', 'sub'), { recursive: true });
  writeFileSync(path.join(victim, 'Cargo.lock'), 'theirs\n');
  return { dir, g, victim };
}

t.test('index, HEAD and packed-refs locks, ref locks at any depth, folders named like locks', async (t) => {
  const { g } = gitDir();
  for (const f of ['index.lock', 'HEAD.lock', 'refs/heads/engine/r.lock', 'refs/heads/a/b/c.lock']) {
    mkdirSync(path.dirname(path.join(g, f)), { recursive: true });
    writeFileSync(path.join(g, f), '');
  }
  mkdirSync(path.join(g, 'refs', 'tags', 'v1.lock', 'x'), { recursive: true });
  writeFileSync(path.join(g, 'refs', 'heads', 'engine', 'r'), 'sha\n');
  const found = locksInGitDir(g).map((l) => l.rel).sort();
  t.same(found, ['HEAD.lock', 'index.lock', 'refs/heads/a/b/c.lock', 'refs/heads/engine/r.lock', 'refs/tags/v1.lock'].sort());
  for (const l of locksInGitDir(g)) t.ok(removeLock(l), `${l.rel} removed`);
  t.same(locksInGitDir(g), [], 'none left');
  t.ok(existsSync(path.join(g, 'refs', 'heads', 'engine', 'r')), 'the ref itself stays');
});

t.test('a link under refs/ (or at refs/) is not followed: what it names is untouched', async (t) => {
  const { g, victim } = gitDir();
  symlinkSync(victim, path.join(g, 'refs', 'heads', 'x'));
  t.same(locksInGitDir(g), [], 'nothing found behind the link');
  // A lock found by name, then its folder swapped for a link before the removal.
  const lock = { root: g, rel: 'refs/heads/x/Cargo.lock' };
  t.ok(removeLock(lock));
  t.equal(readFileSync(path.join(victim, 'Cargo.lock'), 'utf8'), 'theirs\n', "the victim's Cargo.lock is where it was");
  t.ok(removeLock({ root: g, rel: 'refs/heads/x/dir.lock' }));
  t.ok(existsSync(path.join(victim, 'dir.lock', 'sub')), 'and its dir.lock folder');
  const repo = path.join(path.dirname(g), 'repo.git');
  mkdirSync(path.join(repo, 'refs', 'heads'), { recursive: true });
  symlinkSync(victim, path.join(repo, 'refs', 'heads', 'engine'));
  writeFileSync(path.join(victim, 'r.lock'), '');
  t.same(branchLockIn(repo, 'engine/r'), [], "a branch lock behind a link at the user's refs/heads/engine is not seen");
});

t.test('a lock in a folder made read-only: not removed, said so (false), no throw', { skip: process.getuid?.() === 0 ? 'root may remove it all the same' : false }, async (t) => {
  const { g } = gitDir();
  const folder = path.join(g, 'refs', 'heads', 'ro');
  mkdirSync(folder);
  writeFileSync(path.join(folder, 'y.lock'), '');
  chmodSync(folder, 0o555);
  t.teardown(() => chmodSync(folder, 0o755));
  const [lock] = locksInGitDir(g);
  t.equal(lockPath(lock!), path.join(folder, 'y.lock'));
  t.equal(removeLock(lock!), false);
});
