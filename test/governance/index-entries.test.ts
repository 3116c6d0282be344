import t from 'tap';
import { randomBytes } from 'node:crypto';
import { readFileSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { digestIndexEntries } from '../../engine/governance/index-entries.js';
import { git, makeRepo, writeFiles } from '../git/fixtures/repo.js';

const indexOf = (repo: string): Buffer => readFileSync(path.join(repo, '.git', 'index'));
const digestOf = (repo: string): string => digestIndexEntries(indexOf(repo));
const versionOf = (repo: string): number => indexOf(repo).readUInt32BE(4);

const files = {
  'a.txt': 'a\n',
  'src/lib/one.ts': '1\n',
  'src/lib/two.ts': '2\n',
  'src/lib/three/deep/four.ts': '4\n',
  'src/lib/three/deep/five.ts': '5\n',
  'docs/ünïcode name.md': 'u\n',
  'run.sh': '#!/bin/sh\n',
};

t.test('the digest ignores the stat cache: refresh after touching, status, re-adding the same content', async (t) => {
  const repo = makeRepo(t, files);
  const d0 = digestOf(repo);
  t.match(d0, /^entries:7:[0-9a-f]{64}$/);
  const bytes0 = indexOf(repo);
  utimesSync(path.join(repo, 'a.txt'), new Date(2e12), new Date(2e12));
  git(repo, 'update-index', '--refresh');
  t.not(Buffer.compare(bytes0, indexOf(repo)), 0, 'control: the index file was rewritten');
  t.equal(digestOf(repo), d0, 'after update-index --refresh');
  utimesSync(path.join(repo, 'src/lib/one.ts'), new Date(3e12), new Date(3e12));
  git(repo, 'status', '--porcelain');
  t.equal(digestOf(repo), d0, 'after git status');
  writeFiles(repo, { 'a.txt': 'a\n' });
  git(repo, 'add', 'a.txt');
  t.equal(digestOf(repo), d0, 'after git add of the same content');
  git(repo, 'update-index', '--untracked-cache');
  git(repo, 'status', '--porcelain');
  t.equal(digestOf(repo), d0, 'with an untracked-cache extension');
});

t.test('staging different content, a mode, a new path or a removal changes the digest', async (t) => {
  const repo = makeRepo(t, files);
  const seen = new Set([digestOf(repo)]);
  const step = (what: string, act: () => void): void => {
    act();
    const d = digestOf(repo);
    t.notOk(seen.has(d), what);
    seen.add(d);
  };
  step('different content', () => {
    writeFiles(repo, { 'a.txt': 'b\n' });
    git(repo, 'add', 'a.txt');
  });
  step('executable bit', () => git(repo, 'update-index', '--chmod=+x', 'a.txt'));
  step('a new path', () => {
    writeFiles(repo, { 'new.txt': 'n\n' });
    git(repo, 'add', 'new.txt');
  });
  step('a removal', () => git(repo, 'rm', '-q', '--cached', 'src/lib/two.ts'));
  step('a rename', () => git(repo, 'mv', 'src/lib/one.ts', 'src/lib/uno.ts'));
});

t.test('index versions 2, 3 and 4 give the same digest for the same entries', async (t) => {
  const repo = makeRepo(t, files);
  writeFiles(repo, { 'src/lib/three/deep/intent.ts': 'i\n' });
  // intent-to-add sets an extended flag, which keeps version 3 (git demotes 3 to 2 otherwise)
  git(repo, 'add', '-N', 'src/lib/three/deep/intent.ts');
  const digests = new Map<number, string>();
  for (const v of [2, 3, 4, 2] as const) {
    git(repo, 'update-index', '--index-version', String(v));
    git(repo, 'status', '--porcelain');
    t.equal(versionOf(repo), v === 2 ? 3 : v, `header says ${v === 2 ? '3 (extended entries)' : v}`);
    digests.set(v, digestOf(repo));
  }
  t.equal(new Set(digests.values()).size, 1, [...digests.values()].join(' '));
  t.match(digests.get(4)!, /^entries:8:/);
  // Without extended entries: real v2 vs v4 (prefix-compressed names).
  const plain = makeRepo(t, files);
  git(plain, 'update-index', '--index-version', '2');
  t.equal(versionOf(plain), 2);
  const v2 = digestOf(plain);
  git(plain, 'update-index', '--index-version', '4');
  t.equal(versionOf(plain), 4);
  t.equal(digestOf(plain), v2);
  writeFiles(plain, { 'src/lib/three/deep/five.ts': '55\n' });
  git(plain, 'add', '-A');
  t.not(digestOf(plain), v2, 'a change is seen in version 4 too');
});

t.test('conflict stages are part of the digest', async (t) => {
  const repo = makeRepo(t, { 'c.txt': 'base\n' });
  git(repo, 'checkout', '-q', '-b', 'other');
  writeFiles(repo, { 'c.txt': 'other\n' });
  git(repo, 'commit', '-qam', 'other');
  git(repo, 'checkout', '-q', 'main');
  writeFiles(repo, { 'c.txt': 'mine\n' });
  git(repo, 'commit', '-qam', 'mine');
  const clean = digestOf(repo);
  t.throws(() => git(repo, 'merge', '-q', 'other'));
  const conflicted = digestOf(repo);
  t.match(conflicted, /^entries:3:/, 'stages 1, 2 and 3');
  t.not(conflicted, clean);
  git(repo, 'checkout', '--ours', 'c.txt');
  git(repo, 'add', 'c.txt');
  t.equal(digestOf(repo), clean, 'resolved to ours: the same entries as before');
});

t.test('garbage gives a raw digest, never a throw', async (t) => {
  const repo = makeRepo(t, files);
  const real = indexOf(repo);
  const header = (version: number, count: number): Buffer => {
    const b = Buffer.alloc(12);
    b.write('DIRC', 0, 'latin1');
    b.writeUInt32BE(version, 4);
    b.writeUInt32BE(count, 8);
    return b;
  };
  const cases: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['short', Buffer.from('DIR')],
    ['wrong signature', Buffer.concat([Buffer.from('DIRX'), real.subarray(4)])],
    ['version 1', header(1, 0)],
    ['version 5', header(5, 0)],
    ['huge count, no entries', header(2, 0xffffffff)],
    ['huge count, v4', Buffer.concat([header(4, 0xffffffff), Buffer.alloc(70, 0xff)])],
    ['v4 strip longer than the previous name', Buffer.concat([header(4, 1), Buffer.alloc(62), Buffer.from([0x05]), Buffer.from('x\0')])],
    ['v4 varint never ends', Buffer.concat([header(4, 1), Buffer.alloc(62), Buffer.alloc(8, 0x80)])],
    ['v3 extended flag at the end', (() => {
      const b = Buffer.concat([header(3, 1), Buffer.alloc(62)]);
      b.writeUInt16BE(0x4000, 12 + 60);
      return b;
    })()],
    ['name without NUL', Buffer.concat([header(2, 1), Buffer.alloc(62), Buffer.from('name')])],
  ];
  for (let i = 0; i < 50; i++) cases.push([`random ${i}`, randomBytes(1 + (i * 37) % 400)]);
  for (let i = 0; i < 20; i++) cases.push([`random after a real header ${i}`, Buffer.concat([real.subarray(0, 12), randomBytes(10 + i * 13)])]);
  for (const [name, bytes] of cases) {
    let d = '';
    t.doesNotThrow(() => {
      d = digestIndexEntries(bytes);
    }, name);
    t.match(d, /^(raw:[0-9a-f]{64}|entries:\d+:[0-9a-f]{64})$/, name);
  }
  t.equal(digestIndexEntries(Buffer.alloc(0)), digestIndexEntries(Buffer.alloc(0)), 'raw digests are stable');
  t.not(digestIndexEntries(Buffer.from('a')), digestIndexEntries(Buffer.from('b')));
  t.match(digestIndexEntries(header(5, 0)), /^raw:/);
  t.match(digestIndexEntries(header(2, 0xffffffff)), /^raw:/);
  // Every truncation of a real index inside its entries is raw, never a throw.
  const entriesEnd = real.length - 20; // at most: the checksum trails the entries and extensions
  for (let n = 0; n < real.length; n++) {
    const cut = real.subarray(0, n);
    let d = '';
    try {
      d = digestIndexEntries(cut);
    } catch (error) {
      t.fail(`truncated to ${n}: ${(error as Error).message}`);
      continue;
    }
    if (n < 12 + 62) t.match(d, /^raw:/, `truncated to ${n}`);
  }
  t.ok(entriesEnd > 0);
});

t.test('marking an entry assume-unchanged or skip-worktree, or intent-to-add in place of a staged empty file, changes the digest', async (t) => {
  // These flags decide what the user's next `git status` shows and `git commit -a` records: a
  // step that sets one has changed the user's index though no object id moved.
  const repo = makeRepo(t, { ...files, 'empty.txt': '' });
  const d0 = digestOf(repo);
  git(repo, 'update-index', '--assume-unchanged', 'a.txt');
  t.not(digestOf(repo), d0, 'assume-unchanged');
  git(repo, 'update-index', '--no-assume-unchanged', 'a.txt');
  t.equal(digestOf(repo), d0, 'control: cleared again');
  git(repo, 'update-index', '--skip-worktree', 'a.txt');
  t.not(digestOf(repo), d0, 'skip-worktree');
  git(repo, 'update-index', '--no-skip-worktree', 'a.txt');
  git(repo, 'rm', '-q', '--cached', 'empty.txt');
  git(repo, 'add', '-N', 'empty.txt');
  t.not(digestOf(repo), d0, 'intent-to-add is not a staged empty file');
});

t.test("a SHA-256 repository's index: the digest is stable across a refresh and changed by a staged change", async (t) => {
  // A SHA-256 index has 32-byte object ids; the watcher passes the length it reads from the
  // repository's config (extensions.objectformat).
  const repo = makeRepo(t, { 'x': 'x\n' });
  git(repo, 'init', '-q', '--object-format=sha256', 's');
  const s = path.join(repo, 's');
  writeFiles(s, files);
  // Enough entries that some object id has a zero byte where this parser expects the name.
  for (let i = 0; i < 200; i++) writeFiles(s, { [`many/f${i}.txt`]: `${i}\n` });
  git(s, 'add', '-A');
  const d0 = digestIndexEntries(indexOf(s), 32);
  for (let i = 0; i < 200; i += 7) utimesSync(path.join(s, `many/f${i}.txt`), new Date(2e12), new Date(2e12));
  utimesSync(path.join(s, 'a.txt'), new Date(2e12), new Date(2e12));
  git(s, 'update-index', '--refresh');
  t.equal(digestIndexEntries(indexOf(s), 32), d0, 'a refresh does not change it');
  writeFiles(s, { 'a.txt': 'changed\n' });
  git(s, 'add', 'a.txt');
  t.not(digestIndexEntries(indexOf(s), 32), d0, 'a staged change does');
});

t.test('with a split index (core.splitIndex), removing an entry changes the digest', async (t) => {
  // A split index keeps most entries in .git/sharedindex.<id> and records removals in the
  // `link` extension; the digest reads only the entries of .git/index itself.
  const many: Record<string, string> = {};
  for (let i = 0; i < 200; i++) many[`f${i}.txt`] = `${i}\n`;
  const repo = makeRepo(t, many);
  git(repo, 'update-index', '--split-index');
  const d0 = digestOf(repo);
  git(repo, 'rm', '-q', '--cached', 'f5.txt');
  t.equal(git(repo, 'ls-files').split('\n').length, 199, 'control: the entry is gone from the index');
  t.not(digestOf(repo), d0);
});
