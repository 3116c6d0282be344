import t from 'tap';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { makeIsoFixture, type IsoFixture } from './helpers/fixture.js';
import { compareSnapshots, snapshotRepo, type Item } from './helpers/snapshot.js';
import { branchProblems } from './helpers/branch.js';

// The suite's own eyes, without an engine: what the contract allows (a new run branch and its
// objects) passes every check, and each breach the scenarios look for is seen by the item
// that should see it. Without this, a passing scenario could mean a blind check.

function gitIn(f: IsoFixture, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return execFileSync('git', args, { cwd: f.repo, input: opts.input, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', ...opts.env } }).trim();
}

/** A commit on refs/heads/engine/<id> built from base plus `entries` (mode, path, blob content or oid). */
function commitBranch(f: IsoFixture, id: string, entries: { mode: string; path: string; content?: string; oid?: string }[], message: string): string {
  const index = path.join(f.dir, `index-${id}`);
  const env = { GIT_INDEX_FILE: index };
  gitIn(f, ['read-tree', f.base], { env });
  for (const e of entries) {
    const oid = e.oid ?? gitIn(f, ['hash-object', '-w', '--stdin'], { input: e.content ?? '' });
    gitIn(f, ['update-index', '--add', '--cacheinfo', `${e.mode},${oid},${e.path}`], { env });
  }
  const tree = gitIn(f, ['write-tree'], { env });
  const commit = gitIn(f, ['commit-tree', tree, '-p', f.base], { input: message });
  gitIn(f, ['update-ref', `refs/heads/engine/${id}`, commit]);
  return commit;
}

const changed = (f: IsoFixture, before: ReturnType<typeof snapshotRepo>) =>
  compareSnapshots(before, snapshotRepo(f.repo))
    .filter((c) => c.diff.length)
    .map((c) => c.item)
    .sort();

t.test('a run branch with its objects, and nothing else, passes every check', async (t) => {
  const f = makeIsoFixture({ spec: {} });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const before = snapshotRepo(f.repo);
  commitBranch(f, 'good', [{ mode: '100644', path: 'src/a.txt', content: 'a\n' }, { mode: '120000', path: 'src/link', content: 'a.txt' }], 'engine: milestone 1 m1: write a\n\nEngine-Run: good\nEngine-Step: checkpoint\n');
  t.same(changed(f, before), [], 'the user-visible repo is unchanged');
  const r = branchProblems(f.repo, 'good', f.base, ['src/**']);
  t.ok(r, 'the branch is found');
  t.same(r!.checks.filter((c) => c.bad.length), [], 'every branch check holds');
  t.equal(branchProblems(f.repo, 'none', f.base, ['src/**']), null, 'no branch, nothing to check');
});

t.test('each breach of the user repo is seen by its item', async (t) => {
  const f = makeIsoFixture({ spec: {} });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const gd = path.join(f.repo, '.git');
  const cases: [string, () => void, Item[]][] = [
    ['a config key', () => gitIn(f, ['config', 'core.fsmonitor', 'evil']), ['config', 'gitdir']],
    ['a planted hook', () => writeFileSync(path.join(gd, 'hooks', 'post-commit'), '#!/bin/sh\n'), ['gitdir', 'hooks']],
    ['info/exclude', () => appendFileSync(path.join(gd, 'info', 'exclude'), '/.engine/\n'), ['gitdir']],
    ['objects/info/alternates', () => writeFileSync(path.join(gd, 'objects', 'info', 'alternates'), '/tmp/x\n'), ['gitdir']],
    ['an untracked file', () => writeFileSync(path.join(f.repo, 'pwned.txt'), 'x\n'), ['status', 'tree']],
    ['an uncommitted edit overwritten', () => writeFileSync(path.join(f.repo, 'README.md'), '# target\n'), ['status', 'tree']],
    ['a file staged', () => gitIn(f, ['add', 'notes.txt']), ['index', 'lsfiles', 'status']],
    ['a tag', () => gitIn(f, ['tag', 'evil']), ['gitdir', 'refs']],
    ['main moved', () => gitIn(f, ['update-ref', 'refs/heads/main', gitIn(f, ['commit-tree', `${f.base}^{tree}`, '-p', f.base], { input: 'x\n' })]), ['gitdir', 'head', 'refs', 'worktrees']],
    ['HEAD switched', () => gitIn(f, ['symbolic-ref', 'HEAD', 'refs/heads/feature']), ['branch', 'gitdir']],
    ['a worktree added', () => gitIn(f, ['worktree', 'add', '-q', '--detach', path.join(f.dir, 'wt')]), ['gitdir', 'worktrees']],
  ];
  for (const [what, mutate, items] of cases) {
    const before = snapshotRepo(f.repo);
    mutate();
    const seen = changed(f, before);
    t.ok(items.every((i) => seen.includes(i)), `${what}: seen by ${items.join(', ')} (seen: ${seen.join(', ')})`);
  }
  const before = snapshotRepo(f.repo);
  writeFileSync(path.join(f.repo, 'pwned.txt'), 'again\n');
  t.same(compareSnapshots(before, snapshotRepo(f.repo), { treePaths: ['pwned.txt'] }).filter((c) => c.diff.length), [], 'a tolerated path is set aside in tree and status, and only it');
});

t.test('each shape the branch must not hold is seen', async (t) => {
  const f = makeIsoFixture({ spec: {} });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const inner = path.join(f.dir, 'inner');
  mkdirSync(inner);
  execFileSync('git', ['init', '-q', inner]);
  writeFileSync(path.join(inner, 'f'), 'x\n');
  execFileSync('git', ['-C', inner, 'add', 'f']);
  execFileSync('git', ['-C', inner, '-c', 'user.name=a', '-c', 'user.email=a@b', 'commit', '-qm', 'x']);
  const innerHead = execFileSync('git', ['-C', inner, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  commitBranch(
    f,
    'bad',
    [
      { mode: '100644', path: 'docs/out.md', content: 'x\n' },
      { mode: '120000', path: 'src/passwd', content: '/etc/passwd' },
      { mode: '120000', path: 'src/up', content: '../..' },
      { mode: '160000', path: 'src/sub', oid: innerHead },
      { mode: '100644', path: 'src/new\nline.txt', content: 'x\n' },
      { mode: '100644', path: 'src/forbidden.txt', content: 'x\n' },
    ],
    'engine: milestone 1 m1\n\nSigned-off-by: Evil <evil@example.com>\nEngine-Run: bad\n',
  );
  const r = branchProblems(f.repo, 'bad', f.base, ['src/**'], ['src/forbidden.txt']);
  const bad = Object.fromEntries(r!.checks.map((c) => [c.name, c.bad]));
  const find = (start: string) => Object.entries(bad).find(([name]) => name.startsWith(start))?.[1] ?? [];
  t.ok(find('every change').includes('docs/out.md'), 'outside the roots');
  t.same(find('no gitlink'), ['src/sub'], 'the gitlink');
  t.same(find('no symlink').sort(), ['src/passwd -> /etc/passwd', 'src/up -> ../..'], 'the absolute and the escaping symlink');
  t.same(find('no path'), [JSON.stringify('src/new\nline.txt')], 'the control character');
  t.same(find('none of'), ['src/forbidden.txt'], 'a forbidden path');
  t.same(find('no commit message'), ['Signed-off-by: Evil <evil@example.com>'], 'the foreign trailer');
  t.same(find('git interpret-trailers'), ['Signed-off-by: Evil <evil@example.com>'], 'interpret-trailers sees it too');
  t.same(find('no Signed-off-by'), ['Signed-off-by: Evil <evil@example.com>'], 'and the line itself');
});
