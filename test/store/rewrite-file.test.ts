import t from 'tap';
import { existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rewriteFile } from '../../engine/store/atomic.js';

// state.json is rewritten a dozen times per milestone. rewriteFile keeps two inodes and swaps
// them instead of making and freeing one per write, with replaceFile's guarantee: a reader sees
// the old content or the new. A link planted where the spare lives is never written through.

function dir(t: { teardown(fn: () => void): void }) {
  const d = mkdtempSync(path.join(os.tmpdir(), 'engine-rewrite-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test('content, shorter content, and two inodes only', async (t) => {
  const d = dir(t);
  const file = path.join(d, 'state.json');
  rewriteFile(file, 'first, and long\n');
  t.equal(readFileSync(file, 'utf8'), 'first, and long\n', 'the first write makes the file');
  rewriteFile(file, 'second\n');
  t.equal(readFileSync(file, 'utf8'), 'second\n', 'a shorter content leaves nothing of the longer one');
  const inodes = new Set<number>();
  for (let i = 0; i < 20; i++) {
    rewriteFile(file, `write ${i}\n`, { syncData: i % 2 === 0 });
    inodes.add(statSync(file).ino);
    t.equal(readFileSync(file, 'utf8'), `write ${i}\n`);
  }
  t.equal(inodes.size, 2, 'the record alternates between two inodes');
  t.same(readdirSync(d).sort(), ['.state.json.spare', 'state.json'], 'the spare stays, nothing else');
  t.equal(statSync(file).nlink, 1, 'the record has one name');
});

t.test('a spare that held a longer content is cut to the new length, and one that held a shorter grows', async (t) => {
  const d = dir(t);
  const file = path.join(d, 'state.json');
  // The third write goes into the first write's inode, the fourth into the second's.
  rewriteFile(file, 'a long first content, longer than what follows\n');
  rewriteFile(file, 'short\n');
  rewriteFile(file, 'third\n');
  t.equal(readFileSync(file, 'utf8'), 'third\n', 'nothing of the longer content the inode held is left');
  t.equal(statSync(file).size, 'third\n'.length);
  rewriteFile(file, 'the fourth content, longer than the second\n');
  t.equal(readFileSync(file, 'utf8'), 'the fourth content, longer than the second\n');
  rewriteFile(file, 'fifth, same size as the third\n'.slice(0, 6));
  t.equal(readFileSync(file, 'utf8'), 'fifth,');
});

t.test('a crash between the steps leaves the record whole, and the next write cleans up', async (t) => {
  const d = dir(t);
  const file = path.join(d, 'state.json');
  rewriteFile(file, 'one\n');
  rewriteFile(file, 'two\n');
  // As if the engine died after linking the record aside, before the rename.
  linkSync(file, path.join(d, '.state.json.old'));
  t.equal(readFileSync(file, 'utf8'), 'two\n');
  rewriteFile(file, 'three\n');
  t.equal(readFileSync(file, 'utf8'), 'three\n');
  t.same(readdirSync(d).sort(), ['.state.json.spare', 'state.json']);
  t.equal(readFileSync(path.join(d, '.state.json.spare'), 'utf8'), 'two\n', 'the leftover link became the spare');
});

/** A record written twice (so it has a spare), and a file a planted link could aim at. */
function withVictim(t: { teardown(fn: () => void): void }, writes = ['one\n', 'two\n']) {
  const d = dir(t);
  const file = path.join(d, 'state.json');
  const victim = path.join(d, 'victim.txt');
  writeFileSync(victim, 'precious\n');
  for (const w of writes) rewriteFile(file, w);
  return { d, file, victim, spare: path.join(d, '.state.json.spare') };
}

t.test('a symlink planted as the spare is replaced, not written through', async (t) => {
  const { file, victim, spare } = withVictim(t);
  // rm + symlink, as a worker that reached the run directory could.
  rmSync(spare);
  symlinkSync(victim, spare);
  rewriteFile(file, 'three\n');
  t.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the link target is untouched');
  t.equal(readFileSync(file, 'utf8'), 'three\n');
});

t.test('a hard link planted as the spare is replaced, not written through', async (t) => {
  const { file, victim, spare } = withVictim(t);
  rmSync(spare);
  linkSync(victim, spare);
  rewriteFile(file, 'three\n');
  t.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the other name keeps its content');
  t.equal(readFileSync(file, 'utf8'), 'three\n');
  t.equal(statSync(victim).nlink, 1, 'the planted name was dropped from the spare');
});

t.test('a record replaced by a symlink is replaced by the engine\'s content, the target untouched', async (t) => {
  const { d, file, victim } = withVictim(t, ['one\n']);
  rmSync(file);
  symlinkSync(victim, file);
  rewriteFile(file, 'two\n');
  rewriteFile(file, 'three\n');
  rewriteFile(file, 'four\n');
  t.equal(readFileSync(victim, 'utf8'), 'precious\n');
  t.equal(readFileSync(file, 'utf8'), 'four\n');
  t.notOk(existsSync(path.join(d, '.state.json.old')));
});

t.test('written from parts: the same bytes as their concatenation, past the 1,024 a writev takes and with empty parts', async (t) => {
  const d = dir(t);
  const file = path.join(d, 'state.json');
  const parts = Array.from({ length: 2500 }, (_, i) => Buffer.from(i % 7 === 0 ? '' : `${i}:é,`));
  rewriteFile(file, parts);
  t.same(readFileSync(file), Buffer.concat(parts), 'every part in order');
  rewriteFile(file, [Buffer.from('short'), Buffer.alloc(0), Buffer.from('\n')]);
  t.equal(readFileSync(file, 'utf8'), 'short\n', 'a shorter content from parts leaves nothing of the longer one');
  rewriteFile(file, []);
  t.equal(readFileSync(file, 'utf8'), '', 'no parts: an empty file');
});
