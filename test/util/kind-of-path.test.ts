import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { kindOfPath } from '../../engine/util/kind-of-path.js';

t.test('what a path is, its links followed or, with noFollow, the link itself', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-kind-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const at = (name: string) => path.join(dir, name);
  writeFileSync(at('file'), '');
  mkdirSync(at('dir'));
  t.equal(spawnSync('mkfifo', [at('fifo')]).status, 0);
  symlinkSync('file', at('to-file'));
  symlinkSync('dir', at('to-dir'));
  symlinkSync('nowhere', at('dangling'));
  symlinkSync('loop', at('loop'));
  const cases: [string, string, string][] = [
    ['file', 'file', 'file'],
    ['dir', 'directory', 'directory'],
    ['fifo', 'other', 'other'],
    ['to-file', 'file', 'link'],
    ['to-dir', 'directory', 'link'],
    ['dangling', 'none', 'link'],
    ['loop', 'none', 'link'],
    ['missing', 'none', 'none'],
    ['file/below', 'none', 'none'],
    ['nul\0name', 'none', 'none'],
  ];
  for (const [name, followed, itself] of cases) {
    t.equal(kindOfPath(at(name)), followed, `${name}: followed`);
    t.equal(kindOfPath(at(name), { noFollow: true }), itself, `${name}: itself`);
  }
  t.equal(kindOfPath('/dev/null', { noFollow: true }), 'other', 'a device');
});
