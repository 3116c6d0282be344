import t from 'tap';
import { firstGlob, globMatcher } from '../../engine/governance/match-glob.js';

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
