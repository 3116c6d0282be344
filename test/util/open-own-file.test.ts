import t from 'tap';
import { appendFileSync, closeSync, linkSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appendOwnLine, openOwnFile, writeFreshFile } from '../../engine/util/open-own-file.js';

// The engine's own files in places a worker without the OS sandbox can write (its git dir of
// the workspace, the run store): a link planted at their name is replaced, never written through.

const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-own-file-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function victim(name: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, 'keep me\n');
  return file;
}

t.test('openOwnFile: a plain file is opened as it is, a missing one made', async (t) => {
  const file = victim('plain');
  const own = openOwnFile(file);
  t.same({ size: own.size, replaced: own.replaced }, { size: 8, replaced: false });
  writeSync(own.fd, 'K', 0);
  closeSync(own.fd);
  t.equal(readFileSync(file, 'utf8'), 'Keep me\n', 'written in place, not emptied');
  const made = openOwnFile(path.join(dir, 'new'));
  closeSync(made.fd);
  t.same({ size: made.size, replaced: made.replaced }, { size: 0, replaced: false });
});

for (const kind of ['symbolic', 'hard'] as const) {
  t.test(`openOwnFile: a ${kind} link at the name is replaced, its target untouched`, async (t) => {
    const target = victim(`target-${kind}`);
    const file = path.join(dir, `mark-${kind}`);
    (kind === 'symbolic' ? symlinkSync : linkSync)(target, file);
    const own = openOwnFile(file);
    writeSync(own.fd, 'pwned', 0);
    closeSync(own.fd);
    t.equal(own.replaced, true);
    t.equal(readFileSync(target, 'utf8'), 'keep me\n');
    t.ok(lstatSync(file).isFile() && lstatSync(file).nlink === 1, 'a file of its own now');
  });
}

t.test('writeFreshFile: a link or a leftover at the name is removed, never followed', async (t) => {
  const target = victim('target-fresh');
  const tmp = path.join(dir, '.summary.md.123.tmp');
  symlinkSync(target, tmp);
  writeFreshFile(tmp, 'summary');
  t.equal(readFileSync(target, 'utf8'), 'keep me\n');
  t.equal(readFileSync(tmp, 'utf8'), 'summary');
  writeFreshFile(tmp, 'again');
  t.equal(readFileSync(tmp, 'utf8'), 'again', 'a leftover of its own is replaced too');
});

t.test('appendOwnLine appends lines to its own file, a torn last line ended first, and never through a link planted at the name', async (t) => {
  const file = path.join(dir, 'appended.jsonl');
  appendOwnLine(file, 'one\n');
  appendOwnLine(file, 'two\n');
  t.equal(readFileSync(file, 'utf8'), 'one\ntwo\n');
  appendFileSync(file, '{"torn":');
  appendOwnLine(file, 'three\n');
  t.equal(readFileSync(file, 'utf8'), 'one\ntwo\n{"torn":\nthree\n', 'the new line stands alone');
  const target = victim('append-victim');
  const planted = path.join(dir, 'planted.jsonl');
  symlinkSync(target, planted);
  t.throws(() => appendOwnLine(planted, 'pwned\n'), { code: 'ELOOP' });
  t.equal(readFileSync(target, 'utf8'), 'keep me\n', 'the file the link names is untouched');
});
