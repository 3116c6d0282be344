import t from 'tap';
import { closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { DEEP_DIR_BYTES } from '../../engine/util/deep-path.js';
import path from 'node:path';
import { collectSecrets } from '../../engine/workers/redact.js';
import { scrubHome } from '../../engine/workers/scrub-home.js';
import { makeTempDir } from '../fixtures/workers/make-ctx.js';

// The home scrub searched what files hold: a secret a CLI (or a worker) put in a name in its
// home, or in where a link points, stayed on disk after the call. Names and link targets are
// scrubbed too; the file behind a link is never touched.
t.test('a secret in a file or folder name, and in a link target, is scrubbed; what the link led to is left', async (t) => {
  const dir = makeTempDir();
  const home = path.join(dir, 'home');
  const secret = 'sk-live-0123456789abcdefghij';
  mkdirSync(path.join(home, `sessions-${secret}`, 'inner'), { recursive: true });
  writeFileSync(path.join(home, `sessions-${secret}`, 'inner', `log-${secret}.txt`), `token ${secret}\n`);
  writeFileSync(path.join(home, 'plain.txt'), 'nothing\n');
  const outside = path.join(dir, `outside-${secret}`);
  writeFileSync(outside, 'the user\'s\n');
  symlinkSync(outside, path.join(home, 'link'));
  const secrets = collectSecrets(['*_TOKEN'], [{ NPM_TOKEN: secret }]);

  const hits = scrubHome(home, secrets);
  const folder = 'sessions-[REDACTED:NPM_TOKEN]';
  t.same(readdirSync(home).sort(), ['link', 'plain.txt', folder].sort(), 'the folder is renamed');
  t.same(readdirSync(path.join(home, folder, 'inner')), ['log-[REDACTED:NPM_TOKEN].txt'], 'the file too');
  t.equal(readFileSync(path.join(home, folder, 'inner', 'log-[REDACTED:NPM_TOKEN].txt'), 'utf8'), 'token [REDACTED:NPM_TOKEN]\n', 'and what it holds');
  t.ok(lstatSync(path.join(home, 'link')).isSymbolicLink(), 'the link stays a link');
  t.equal(readlinkSync(path.join(home, 'link')), path.join(dir, 'outside-[REDACTED:NPM_TOKEN]'), 'pointing where the scrubbed name says');
  t.equal(readFileSync(outside, 'utf8'), 'the user\'s\n', 'the file it led to is left as it was');
  t.ok(existsSync(outside), 'and keeps its name');
  t.same(hits.map((h) => h.file).sort(), ['link', folder, path.join(folder, 'inner', 'log-[REDACTED:NPM_TOKEN].txt')].sort(), 'each is reported under its new name');
  t.ok(hits.every((h) => h.names.includes('NPM_TOKEN')), 'by the variable, never the value');
  t.notMatch(JSON.stringify(hits), secret);
  t.same(scrubHome(home, secrets), [], 'a second scan finds nothing');
});

t.test('a scrubbed name already taken: the entry goes to a free one, nothing is overwritten', async (t) => {
  const dir = makeTempDir();
  const home = path.join(dir, 'home');
  const secret = 'sk-live-0123456789abcdefghij';
  mkdirSync(home);
  writeFileSync(path.join(home, 'a-[REDACTED:NPM_TOKEN]'), 'was there\n');
  writeFileSync(path.join(home, `a-${secret}`), 'new\n');
  scrubHome(home, collectSecrets(['*_TOKEN'], [{ NPM_TOKEN: secret }]));
  t.equal(readFileSync(path.join(home, 'a-[REDACTED:NPM_TOKEN]'), 'utf8'), 'was there\n', 'the file at that name is kept');
  const names = readdirSync(home);
  t.equal(names.length, 2, names.join(', '));
  t.notOk(names.some((n) => n.includes(secret)), 'no name holds the secret');
});

// Found by a hostile review: a secret shorter than its mark in a name of 255 bytes (the
// longest a name can be) gave a scrubbed name too long to make: the scrub threw (exit 70).
t.test('a scrubbed name longer than a name can be: a shorter free one, no error', async (t) => {
  const dir = makeTempDir();
  const home = path.join(dir, 'home');
  mkdirSync(home);
  const secret = 'hunter2hunter';
  const name = `${secret}${'é'.repeat(121)}`;
  t.equal(Buffer.byteLength(name), 255);
  writeFileSync(path.join(home, name), 'x\n');
  const hits = scrubHome(home, collectSecrets(['*_PASSWORD'], [{ A_VERY_LONG_SERVICE_ACCOUNT_PASSWORD: secret }]));
  const names = readdirSync(home);
  t.equal(names.length, 1);
  t.notOk(names[0]!.includes(secret), 'no name holds the secret');
  t.ok(Buffer.byteLength(names[0]!) <= 255);
  t.equal(hits.length, 1);
});

// Found by a hostile review: a name that is not UTF-8 came back from the listing changed
// (U+FFFD), so it could not be opened: neither it nor anything under it was searched.
t.test('a name that is not UTF-8: renamed to one that is, then searched like any', async (t) => {
  const dir = makeTempDir();
  const home = path.join(dir, 'home');
  mkdirSync(home);
  const secret = 'sk-live-0123456789abcdefghij';
  const odd = Buffer.concat([Buffer.from(home + '/'), Buffer.from(`${secret}-`), Buffer.from([0xff, 0xfe])]);
  mkdirSync(odd);
  writeFileSync(Buffer.concat([odd, Buffer.from('/notes')]), `token ${secret}\n`);
  const hits = scrubHome(home, collectSecrets(['*_TOKEN'], [{ NPM_TOKEN: secret }]));
  const names = readdirSync(home);
  t.equal(names.length, 1);
  t.notOk(names[0]!.includes(secret), 'the name no longer holds the secret');
  t.equal(readFileSync(path.join(home, names[0]!, 'notes'), 'utf8'), 'token [REDACTED:NPM_TOKEN]\n', 'what it holds is searched');
  t.ok(hits.length >= 2);
});

// A folder too deep to name a file in (PATH_MAX): the scrub, walking by path names, listed
// nothing there, and a secret a worker (or its CLI) left at the bottom stayed on disk.
t.test('a folder deeper than a path can name: removed unsearched and reported', async (t) => {
  const dir = makeTempDir();
  const home = path.join(dir, 'home');
  const secret = 'sk-live-0123456789abcdefghij';
  mkdirSync(home);
  writeFileSync(path.join(home, 'plain.txt'), `token ${secret}\n`);
  // Deeper than any path: made through each level's descriptor, as a process's `cd` would.
  let at = home;
  const fds: number[] = [];
  try {
    for (let i = 0; i < 24; i++) {
      mkdirSync(path.join(at, 'd'.repeat(200)));
      fds.push(openSync(path.join(at, 'd'.repeat(200)), constants.O_RDONLY | constants.O_DIRECTORY));
      at = `/proc/self/fd/${fds.at(-1)}`;
    }
    writeFileSync(path.join(at, 'session.json'), `{"token":"${secret}"}\n`);
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  const hits = scrubHome(home, collectSecrets(['*_TOKEN'], [{ NPM_TOKEN: secret }]));
  const deep = hits.find((h) => h.removed);
  t.ok(deep, 'a hit says what was removed');
  t.match(deep?.removed ?? '', /deeper than/, 'and why');
  t.ok(Buffer.byteLength(path.join(home, deep!.file)) > DEEP_DIR_BYTES, 'the first folder too deep to enter');
  t.notOk(existsSync(path.join(home, deep!.file)), 'is gone with what it held');
  t.equal(readFileSync(path.join(home, 'plain.txt'), 'utf8'), 'token [REDACTED:NPM_TOKEN]\n', 'the rest is scrubbed as before');
});
