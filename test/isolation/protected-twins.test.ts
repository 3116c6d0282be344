// test cost: about 11 s: three hostile scenarios, a whole run each, without the OS sandbox (the checks are the engine's own in every mode).
import t from 'tap';
import { rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { runScenario, assertOutcome, violationsOf, VIOLATION } from './helpers/scenario.js';
import { makeIsoFixture, runRun } from './helpers/fixture.js';

// A protected path reached by another name than its own: through a link the worker made, or
// as its Unicode twin (one folder on macOS). Each run completed, and the protected file was
// there after `git checkout engine/<run>`.

const roots = ['**'];

t.test('a protected folder reached through a new link to a folder the worker filled', async (t) => {
  // The base tree has .github/dependabot.yml only; `.github/workflows/**` is protected.
  const sh = 'mv .github ci && ln -s ci .github && mkdir -p ci/workflows && echo evil > ci/workflows/evil.yml';
  runScenario(t, {
    name: 'linkdir',
    spec: { calls: { implement: { sh } } },
    roots,
    repoPolicy: { governance: { allowed_roots: roots, protected: ['.github/workflows/**'] } },
    files: { '.github/dependabot.yml': 'version: 2\n' },
    only: ['off'],
    expect: VIOLATION,
    forbidden: ['ci', '.github/workflows'],
    afterRun: (t, { f, id, run }) => {
      assertOutcome(t, f, id, run, VIOLATION);
      t.same(violationsOf(f.repo, id).filter((v) => v.rule === 'protected'), [
        { path: '.github', rule: 'protected', pattern: '.github/workflows/**' },
        { path: '.github/workflows/evil.yml', rule: 'protected', pattern: '.github/workflows/**' },
      ]);
    },
  });
});

t.test('a protected folder written as its decomposed Unicode twin', async (t) => {
  const sh = 'd="$(printf "config/prod-cafe\\314\\201")"; mkdir -p "$d" && echo "url: evil" > "$d/db.yml"';
  runScenario(t, {
    name: 'nfd',
    spec: { calls: { implement: { sh } } },
    roots,
    repoPolicy: { governance: { allowed_roots: roots, protected: ['config/prod-caf\u00e9/**'] } },
    only: ['off'],
    expect: VIOLATION,
    forbidden: ['config/prod-cafe\u0301/db.yml'],
    afterRun: (t, { f, id, run }) => {
      assertOutcome(t, f, id, run, VIOLATION);
      t.same(violationsOf(f.repo, id), [{ path: 'config/prod-cafe\u0301/db.yml', rule: 'protected', pattern: 'config/prod-caf\u00e9/**' }]);
    },
  });
});

t.test('a protected folder reached through a link the repository already had', async (t) => {
  // `.github -> ci` committed by the user; the step changes no link, only writes into ci/.
  const f = makeIsoFixture({
    spec: { calls: { 'implement#1': { sh: 'mkdir -p ci/workflows && echo evil > ci/workflows/evil.yml' } } },
    repoPolicy: { governance: { allowed_roots: roots, protected: ['.github/workflows/**'] } },
    files: { 'ci/dependabot.yml': 'version: 2\n' },
  });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  symlinkSync('ci', path.join(f.repo, '.github'));
  f.git('add', '.github');
  f.git('commit', '-q', '-m', 'ci through .github', '--', '.github');
  const run = runRun(f, 'r1', 'off');
  t.equal(run.code, 3, run.stderr);
  t.same(violationsOf(f.repo, 'r1').filter((v) => v.rule === 'protected'), [{ path: '.github/workflows/evil.yml', rule: 'protected', pattern: '.github/workflows/**' }], 'named as a checkout writes it');
});
