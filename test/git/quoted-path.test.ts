import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unquoteGitPath } from '../../engine/git/quoted-path.js';

t.test('a path git quotes is read back as its bytes; one it does not, as it is', async (t) => {
  t.same(unquoteGitPath('src/a.txt'), Buffer.from('src/a.txt'));
  t.same(unquoteGitPath('"src/\\377.txt"'), Buffer.from([...Buffer.from('src/'), 0xff, ...Buffer.from('.txt')]));
  t.same(unquoteGitPath('"a\\tb\\n\\"q\\"\\\\"'), Buffer.from('a\tb\n"q"\\'));
  t.same(unquoteGitPath('"caf\\303\\251"'), Buffer.from('café'), 'UTF-8 past ASCII, byte by byte');
  t.same(unquoteGitPath('"'), Buffer.from('"'), 'a lone quote is a name');
});

t.test('what git itself prints, for names of every kind', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-quoted-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const names = [Buffer.from('plain.txt'), Buffer.from('café.txt'), Buffer.from([0xff, 0x41]), Buffer.from('tab\there'), Buffer.from('quo"te\\slash')];
  execFileSync('git', ['init', '-q', dir]);
  for (const n of names) writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), n]), 'x');
  execFileSync('git', ['-C', dir, 'add', '-A']);
  const listed = execFileSync('git', ['-C', dir, '-c', 'core.quotePath=true', 'ls-files'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  t.same(listed.map((l) => unquoteGitPath(l).toString('hex')).sort(), names.map((n) => n.toString('hex')).sort());
});
