import t from 'tap';
import { firstGlob, globMatcher, leadsInto } from '../../engine/governance/match-glob.js';

t.test('one glob or any of several, dotfiles included', async (t) => {
  const src = globMatcher('src/**');
  t.ok(src('src/a.ts'));
  t.ok(src('src/.hidden/x'), 'dot: true');
  t.notOk(src('lib/a.ts'));
  const any = globMatcher(['src/**', 'docs/*.md']);
  t.ok(any('docs/a.md'));
  t.notOk(any('docs/sub/a.md'));
  t.notOk(globMatcher([])('anything'), 'no glob matches nothing');
});

t.test('basename: a glob without a slash matches the file name anywhere', async (t) => {
  t.ok(globMatcher('package-lock.json', { basename: true })('a/b/package-lock.json'));
  t.notOk(globMatcher('package-lock.json')('a/b/package-lock.json'), 'without it, only at the top');
});

t.test('compiled once: the same globs give the same matcher', async (t) => {
  t.equal(globMatcher(['a/**', 'b/**']), globMatcher(['a/**', 'b/**']));
  t.not(globMatcher(['a/**', 'b/**']), globMatcher(['a/**']));
  t.not(globMatcher('x'), globMatcher('x', { basename: true }), 'the options are part of the key');
});

t.test('a matcher given to find is asked with the path only', async (t) => {
  // picomatch's second argument returns an object (truthy) for any truthy value: an index.
  t.equal(['a.txt', 'b.txt', 'src/c.ts'].find(globMatcher('src/**')), 'src/c.ts');
});

t.test('the first glob that matches', async (t) => {
  const which = firstGlob(['docs/**', '**/*.md']);
  t.equal(which('docs/a.md'), 'docs/**');
  t.equal(which('x/a.md'), '**/*.md');
  t.equal(which('x/a.ts'), null);
});

t.test('fold: either case, and a composed or decomposed letter alike (NFC); without it, as written', async (t) => {
  // macOS compares names in either Unicode normalization: config/prod-cafe\u0301 (NFD) is
  // config/prod-café (NFC) there, so a protected glob must not miss the twin.
  const nfc = 'config/prod-caf\u00e9/**';
  const nfd = 'config/prod-cafe\u0301/db.yml';
  t.ok(globMatcher(nfc, { fold: true })(nfd), 'NFD path, NFC glob');
  t.ok(globMatcher('config/prod-cafe\u0301/**', { fold: true })('config/prod-caf\u00e9/db.yml'), 'NFC path, NFD glob');
  t.ok(globMatcher(nfc, { fold: true })('CONFIG/PROD-CAF\u00c9/db.yml'), 'either case, accented letters too');
  t.ok(globMatcher(nfc, { fold: true })('config/PROD-CAFE\u0301/db.yml'), 'case and normalization at once');
  t.notOk(globMatcher(nfc)(nfd), 'without fold: as written');
  t.notOk(globMatcher(nfc, { fold: true })('config/prod-cafe/db.yml'), 'a letter without its accent is another name');
  t.equal(firstGlob([nfc], { fold: true })(nfd), nfc, 'the glob is named as written');
});

t.test('leadsInto: a folder whose own name could start a match of the glob', async (t) => {
  t.ok(leadsInto('.github', '.github/workflows/**'), 'a proper prefix of the literal part');
  t.ok(leadsInto('.github/workflows', '.github/workflows/**'), 'the folder the glob covers');
  t.notOk(leadsInto('ci', '.github/workflows/**'));
  t.notOk(leadsInto('.github/other', '.github/workflows/**'));
  t.ok(leadsInto('config/x', 'config/*/prod.yml'), 'a wildcard folder part');
  t.ok(leadsInto('config', 'config/**/prod.yml'));
  t.ok(leadsInto('config/a/b', 'config/**/prod.yml'), '** takes folders after a matched part');
  t.notOk(leadsInto('lib', '**/secrets/**'), 'a leading ** that takes the whole folder: names inside match by their own folder too');
  t.ok(leadsInto('a/config', '**/config/prod.yml'), 'a leading ** then a part the folder matches');
  t.notOk(leadsInto('src', '*.pem'));
  t.ok(leadsInto('.GITHUB', '.github/workflows/**', { fold: true }), 'fold: either case');
  t.notOk(leadsInto('.GITHUB', '.github/workflows/**'));
  t.ok(leadsInto('deploy', '{deploy/prod,ops}/**'), 'braces holding a /: any number of folders');
  t.ok(leadsInto('x', '{a/b,x}/**'));
});
