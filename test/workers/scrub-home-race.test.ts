import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { collectSecrets } from '../../engine/workers/redact.js';
import { scrubHome } from '../../engine/workers/scrub-home.js';
import { makeTempDir } from '../fixtures/workers/make-ctx.js';

// Without the OS sandbox a process a worker left running can swap a folder of its home for a
// link while the scrub works: the folder too deep to search was removed by its path, through
// the link, and the user's folder it led to went with it. The removal goes from the home
// down, one folder at a time, never through a link.
const SWAPPER = String.raw`
import os, sys, time
home, outside, secret = sys.argv[1], sys.argv[2], sys.argv[3].encode()
p = os.path.join(home, 'b')
while len(p.encode()) + 1 + 200 < 3825: p += '/' + 'd' * 200
p += '/' + 'e' * (3835 - len(p.encode()) - 1)
os.makedirs(p + '/victim/sub')
open(p + '/a0000', 'wb').write(b'x ' + secret)
for i in range(1, 3000): open(p + '/a%04d' % i, 'w').write('x')
print('ready', flush=True)
end = time.time() + 30
while time.time() < end:
    try:
        if secret not in open(p + '/a0000', 'rb').read(): break
    except FileNotFoundError: pass
os.rename(p, p + 'x'); os.symlink(outside, p)
print('swapped', flush=True)
`;

const SECRET = 'sk-live-0123456789abcdefghij';
const onLinux = { skip: process.platform !== 'linux' && 'the descriptor walk is Linux\'s' };

/**
 * A home, the user's folder `outside` (made by `plant`), and a scrub of the home while the
 * python `swapper` (given the home, outside and the secret) swaps a folder of it for a link
 * to outside once the scrub is under way. What the swapper said and the scrub's hits. */
async function scrubWhileSwapped(swapper: string, plant: (outside: string) => void): Promise<{ outside: string; said: string; hits: ReturnType<typeof scrubHome> }> {
  const dir = makeTempDir();
  const home = path.join(dir, 'home');
  mkdirSync(home);
  const outside = path.join(dir, 'outside');
  mkdirSync(outside);
  plant(outside);
  const child = spawn('python3', ['-c', swapper, home, outside, SECRET], { stdio: ['ignore', 'pipe', 'inherit'] });
  let said = '';
  await new Promise<void>((resolve) => child.stdout.on('data', (d) => (said += d) && said.includes('ready') && resolve()));
  const hits = scrubHome(home, collectSecrets(['*_TOKEN'], [{ NPM_TOKEN: SECRET }]));
  await new Promise((resolve) => child.on('exit', resolve));
  return { outside, said, hits };
}

t.test('a home folder swapped for a link while the scrub works: what the link leads to stays', onLinux, async (t) => {
  const { outside, said, hits } = await scrubWhileSwapped(SWAPPER, (o) => {
    mkdirSync(path.join(o, 'victim'));
    writeFileSync(path.join(o, 'victim', 'important.txt'), 'user data\n');
  });
  t.match(said, /swapped/, 'the folder was swapped during the scrub');
  t.ok(hits.some((h) => h.removed), 'the scrub reports a folder removed unsearched');
  t.equal(readFileSync(path.join(outside, 'victim', 'important.txt'), 'utf8'), 'user data\n', 'the user\'s folder the link leads to is untouched');
  t.ok(existsSync(path.join(outside, 'victim')), 'and kept');
});

// The same for what the scrub rewrites: it walked by path, so once a folder of the home was
// swapped for a link to the user's own folder, the files listed before the swap were read and
// rewritten there: a token in the user's ~/.npmrc replaced by its redaction mark. Each folder
// is now walked through a descriptor opened from its parent's, never through a link.
const REWRITER = String.raw`
import os, sys, time
home, outside, secret = sys.argv[1], sys.argv[2], sys.argv[3].encode()
d = os.path.join(home, 'sub')
os.makedirs(d)
open(os.path.join(d, 'a0000'), 'wb').write(b'x ' + secret)
for i in range(1, 3000): open(os.path.join(d, 'a%04d' % i), 'w').write('x')
open(os.path.join(d, 'zz-npmrc'), 'wb').write(b'token ' + secret)
print('ready', flush=True)
end = time.time() + 30
while time.time() < end:
    try:
        if secret not in open(os.path.join(d, 'a0000'), 'rb').read(): break
    except FileNotFoundError: pass
os.rename(d, d + 'x'); os.symlink(outside, d)
print('swapped', flush=True)
`;

t.test('a home folder swapped for a link while the scrub works: the user\'s files there are not rewritten', onLinux, async (t) => {
  const { outside, said } = await scrubWhileSwapped(REWRITER, (o) => writeFileSync(path.join(o, 'zz-npmrc'), `token ${SECRET}\n`));
  t.match(said, /swapped/, 'the folder was swapped during the scrub');
  t.equal(readFileSync(path.join(outside, 'zz-npmrc'), 'utf8'), `token ${SECRET}\n`, 'the user\'s file the link leads to is untouched');
});
