import t from 'tap';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { realPath, resolveLinks } from '../../engine/util/resolve-links.js';

// realPath asks the C library instead of Node's walk; every answer, and every failure, must
// be the one fs.realpathSync gives, whatever a worker (without the OS sandbox) plants.

const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'engine-resolve-links-')));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(path.join(dir, 'real', 'deep'), { recursive: true });
writeFileSync(path.join(dir, 'real', 'file'), 'x');
symlinkSync(path.join(dir, 'real'), path.join(dir, 'abs-link'));
symlinkSync('real/deep', path.join(dir, 'rel-link'));
symlinkSync('loop-b', path.join(dir, 'loop-a'));
symlinkSync('loop-a', path.join(dir, 'loop-b'));
symlinkSync('nowhere', path.join(dir, 'dangling'));
// A link whose target is a name that is not UTF-8: as text it reads back with U+FFFD in it.
const odd = Buffer.concat([Buffer.from(`${dir}/real/odd-`), Buffer.from([0xff])]);
mkdirSync(odd);
symlinkSync(odd, path.join(dir, 'odd-link'));

/** fs.realpathSync's answer or its error code, and realPath's. */
function both(p: string): { node: string; ours: string } {
  const ask = (f: (p: string) => string) => {
    try {
      return f(p);
    } catch (error) {
      return `error ${(error as NodeJS.ErrnoException).code}`;
    }
  };
  return { node: ask(realpathSync), ours: ask(realPath) };
}

const cases = [
  dir,
  path.join(dir, 'abs-link'),
  path.join(dir, 'abs-link', 'deep'),
  path.join(dir, 'rel-link'),
  path.join(dir, 'abs-link', '..'),
  path.join(dir, 'rel-link') + '/..',
  `${dir}/abs-link/`,
  `${dir}/real/file/`,
  `${dir}/abs-link/file`,
  path.join(dir, 'loop-a'),
  path.join(dir, 'dangling'),
  path.join(dir, 'no-such', 'tail'),
  path.join(dir, 'odd-link'),
  '',
  '.',
  '/proc/self/cwd',
  '/',
];

t.test('every answer and every failure is fs.realpathSync\'s', async (t) => {
  for (const p of cases) {
    const { node, ours } = both(p);
    t.equal(ours, node, JSON.stringify(p));
  }
});

t.test('resolveLinks: the deepest part that exists, its links resolved, the rest as named', async (t) => {
  t.equal(resolveLinks(path.join(dir, 'abs-link', 'not-yet', 'made')), path.join(dir, 'real', 'not-yet', 'made'));
  t.equal(resolveLinks(path.join(dir, 'loop-a', 'x')), path.join(dir, 'loop-a', 'x'), 'a loop resolves no further');
  t.equal(resolveLinks(path.join(dir, 'odd-link')), path.join(dir, 'odd-link'), 'a name that is not UTF-8 stays as named, as before');
});
