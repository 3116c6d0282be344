import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeTree } from '../../engine/util/remove-tree.js';

// Without the OS sandbox a process a worker left running can rename entries of a tree while
// the engine removes it. Checked by name, then listed and emptied by name, a directory swapped
// for a link to the user's files in between had those files removed. Here a racer swaps a
// directory and a link to a victim directory atomically (renameat2 RENAME_EXCHANGE, through
// python3's ctypes) as fast as it can, while the tree is made and removed again and again:
// removing by name lost victim files in about one removal in twenty.
const RACER = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
a, victim = sys.argv[1], sys.argv[2]
b, link = (a + '/b').encode(), (a + '/b.link').encode()
while True:
    if not os.path.lexists(a + '/b.link'):
        try:
            os.symlink(victim, a + '/b.link')
        except OSError:
            pass
    libc.renameat2(-100, b, -100, link, 2)
`;
const linux = process.platform === 'linux';
const python = linux && spawnSync('python3', ['-c', 'import ctypes; ctypes.CDLL(None).renameat2'], { encoding: 'utf8' }).status === 0;

t.test('a directory swapped for a link while the tree is removed: what the link names stays', { skip: !python && 'needs Linux and python3 with renameat2' }, async (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'engine-rm-race-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const victim = path.join(root, 'victim');
  const a = path.join(root, 'a');
  mkdirSync(victim);
  mkdirSync(a);
  const racer = spawn('python3', ['-c', RACER, a, victim], { stdio: 'ignore' });
  t.teardown(() => racer.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 200));
  let lost = 0;
  const rounds = 600;
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < 5; k++) writeFileSync(path.join(victim, `v${k}`), 'the user\'s\n');
    try {
      mkdirSync(path.join(a, 'b'));
    } catch {
      /* the racer's swap left one there */
    }
    for (let k = 0; k < 3; k++) {
      try {
        writeFileSync(path.join(a, 'b', `f${k}`), 'x');
      } catch {
        /* mid-swap */
      }
    }
    for (const name of ['b', 'b.link']) {
      try {
        removeTree(path.join(a, name));
      } catch {
        /* a directory refilled by the racer's swap: not what is tested */
      }
    }
    if (readdirSync(victim).filter((n) => n.startsWith('v')).length < 5) lost++;
  }
  t.equal(lost, 0, `no file of the victim directory removed in ${rounds} removals`);
});
