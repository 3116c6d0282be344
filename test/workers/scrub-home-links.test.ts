import t from 'tap';
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { collectSecrets } from '../../engine/workers/redact.js';
import { scrubHome } from '../../engine/workers/scrub-home.js';
import { makeTempDir } from '../fixtures/workers/make-ctx.js';

// Without the OS sandbox a worker can give a file of the user's a second name in its home
// (a hard link: same file system, no permission needed on the file's own directory). The
// engine scrubbing that name in place would rewrite the user's file: their ~/.npmrc with its
// token replaced by a redaction mark.
t.test("a hard link in a worker's home to a file elsewhere: the home's name is scrubbed, the other file is left as it was", async (t) => {
  const dir = makeTempDir();
  const home = path.join(dir, 'home');
  mkdirSync(path.join(home, 'sub'), { recursive: true });
  const secret = 'sk-live-0123456789abcdefghij';
  const userFile = path.join(dir, 'user-npmrc');
  const original = `//registry.example/:_authToken=${secret}\n`;
  writeFileSync(userFile, original);
  chmodSync(userFile, 0o600);
  linkSync(userFile, path.join(home, 'sub', 'npmrc'));
  const outside = path.join(dir, 'user-env');
  writeFileSync(outside, `TOKEN=${secret}\n`);
  symlinkSync(outside, path.join(home, 'env-link'));
  const secrets = collectSecrets(['*_TOKEN'], [{ NPM_TOKEN: secret }]);

  const hits = scrubHome(home, secrets);
  t.same(hits, [{ file: path.join('sub', 'npmrc'), names: ['NPM_TOKEN'] }], 'the hit is reported under the home\'s name');
  t.equal(readFileSync(userFile, 'utf8'), original, "the user's file keeps its content");
  t.equal(statSync(userFile).nlink, 1, "the home's name is no longer a name of the user's file");
  t.equal(readFileSync(path.join(home, 'sub', 'npmrc'), 'utf8'), '//registry.example/:_authToken=[REDACTED:NPM_TOKEN]\n', "the home's copy is scrubbed");
  t.equal(statSync(path.join(home, 'sub', 'npmrc')).mode & 0o777, 0o600, 'and keeps the mode');
  t.equal(readFileSync(outside, 'utf8'), `TOKEN=${secret}\n`, 'a symbolic link is not followed');
  t.same(scrubHome(home, secrets), [], 'a second scan finds nothing');
});
