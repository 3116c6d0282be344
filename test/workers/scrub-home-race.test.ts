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

t.test('a home folder swapped for a link while the scrub works: what the link leads to stays', { skip: process.platform !== 'linux' && 'the descriptor walk is Linux\'s' }, async (t) => {
  const secret = 'sk-live-0123456789abcdefghij';
  const dir = makeTempDir();
  const home = path.join(dir, 'home');
  mkdirSync(home);
  const outside = path.join(dir, 'outside');
  mkdirSync(path.join(outside, 'victim'), { recursive: true });
  writeFileSync(path.join(outside, 'victim', 'important.txt'), 'user data\n');
  const swapper = spawn('python3', ['-c', SWAPPER, home, outside, secret], { stdio: ['ignore', 'pipe', 'inherit'] });
  let said = '';
  await new Promise<void>((resolve) => swapper.stdout.on('data', (d) => (said += d) && said.includes('ready') && resolve()));
  const hits = scrubHome(home, collectSecrets(['*_TOKEN'], [{ NPM_TOKEN: secret }]));
  await new Promise((resolve) => swapper.on('exit', resolve));
  t.match(said, /swapped/, 'the folder was swapped during the scrub');
  t.ok(hits.some((h) => h.removed), 'the scrub reports a folder removed unsearched');
  t.equal(readFileSync(path.join(outside, 'victim', 'important.txt'), 'utf8'), 'user data\n', 'the user\'s folder the link leads to is untouched');
  t.ok(existsSync(path.join(outside, 'victim')), 'and kept');
});
