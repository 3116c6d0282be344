import t from 'tap';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { CONFIG_FILES, explainAutoApprove, reviewFindings } from '../../engine/runtime/guards.js';
import { holdsLongLine } from '../../engine/runtime/steps/measure-changes.js';
import { globMatcher } from '../../engine/governance/match-glob.js';
import type { RunPolicy } from '../../engine/runtime/types.js';
import { initialContext, type RunContext } from '../../engine/vocabulary/run-context.js';

const defaults = parse(readFileSync(new URL('../../policies/default.policy.yaml', import.meta.url), 'utf8')) as RunPolicy;
const policy = structuredClone(defaults);
policy.auto_approve.enabled = true;

/** A milestone whose change holds every guardrail, with `over` applied. */
function ctx(over: Partial<RunContext> = {}): RunContext {
  return {
    ...initialContext(),
    milestones: [{ id: 'm1', goal: 'g', files_expected: ['src/a.js'], done_checks: [], risk_level: 'low' }],
    milestone: 1,
    verify: { tier: 'tier0', pass: true, log: 'verify/0001-tier0.log', output_tail: '' },
    changes: { files: 1, loc: 3, paths: ['src/a.js'], new_paths: ['src/a.js'], deleted_paths: [] },
    ...over,
  };
}

t.test('a change that holds every guardrail is approved', async (t) => {
  t.match(explainAutoApprove(ctx(), policy), { ok: true, reason: /^verification green, 1 file and 3 lines/ });
});

t.test('a tier1 that ran out of time passes its step, but is not green for auto-approve', async (t) => {
  const v = explainAutoApprove(ctx({ verify: { tier: 'tier1', pass: true, skipped: true, log: 'l', output_tail: '' } }), policy);
  t.same(v, { ok: false, reason: 'verification was skipped (tier1 ran out of time): nothing was shown green' });
});

t.test('files the verification itself changed send the milestone to the reviewer', async (t) => {
  const v = explainAutoApprove(ctx({ verify: { tier: 'tier0', pass: true, log: 'l', output_tail: '', changed: ['src/slug.js', 'test/slug.test.js'] } }), policy);
  t.same(v, { ok: false, reason: 'verification changed 2 files in the workspace (src/slug.js, …): what is committed is not what was verified' });
});

t.test("a reviewer's request or rejection in this milestone stands until a reviewer approves", async (t) => {
  t.same(explainAutoApprove(ctx({ review: { verdict: 'request_changes', changes: ['drop eval'] } }), policy), { ok: false, reason: 'the reviewer answered request_changes in this milestone' });
  t.same(explainAutoApprove(ctx({ review: { verdict: 'reject', changes: [] } }), policy).ok, false);
  t.same(explainAutoApprove(ctx({ review: { verdict: 'approve', changes: [] } }), policy).ok, true, 'an approval is no bar');
});

t.test('configuration files at any depth, of the build, the test runners and the package managers', async (t) => {
  const isConfig = globMatcher(CONFIG_FILES);
  const config = [
    'package.json', 'web/package.json', 'tsconfig.json', 'tsconfig.build.json', 'jest.config.json', 'vitest.config.mts', 'web/vite.config.ts', '.mocharc.json', '.mocharc.yml',
    '.npmrc', 'web/.npmrc', '.yarnrc.yml', '.gitattributes', 'src/.gitattributes', '.gitignore', 'src/.gitignore', '.gitmodules', 'Makefile', 'tools/rules.mk',
    'pytest.ini', 'tox.ini', 'setup.cfg', 'setup.py', 'pyproject.toml', 'tests/conftest.py', 'go.mod', 'Cargo.toml', 'crate/build.rs', 'pom.xml', 'build.gradle.kts', 'Gemfile', '.rspec',
    '.github/workflows/ci.yml', '.engine/policy.yaml',
  ];
  for (const p of config) t.ok(isConfig(p), p);
  for (const p of ['src/a.js', 'src/config.js', 'src/make.js', 'docs/package.md', 'test/slug.test.js']) t.notOk(isConfig(p), `${p} is no configuration`);
  for (const p of ['.npmrc', 'src/.gitignore', 'pyproject.toml']) {
    const v = explainAutoApprove(ctx({ changes: { files: 2, loc: 4, paths: ['src/a.js', p], new_paths: ['src/a.js'], deleted_paths: [] } }), policy);
    t.same(v, { ok: false, reason: `configuration changed: ${p}` }, `${p} refused`);
  }
});

t.test('what the list first missed: GNU make, Cargo, more runners and package managers, any case', async (t) => {
  for (const p of ['src/GNUmakefile', 'src/makefile', '.cargo/config.toml', 'vitest.workspace.ts', 'karma.conf.js', 'bunfig.toml', 'deno.json', '.swcrc', '.taprc', '.nycrc', '.c8rc.json', 'pnpm-workspace.yaml', '.pnp.cjs', '.yarn/plugins/x.cjs', 'lerna.json', 'go.work', 'rust-toolchain.toml', '.config/nextest.toml', 'noxfile.py', 'sitecustomize.py', 'requirements-dev.txt', '.env', 'jest.setup.js', 'src/setupTests.ts', 'CMakeLists.txt', 'justfile', 'phpunit.xml', 'composer.json', 'app/App.csproj', 'Directory.Build.props', 'Package.JSON']) {
    const v = explainAutoApprove(ctx({ changes: { files: 2, loc: 4, paths: ['src/a.js', p], new_paths: ['src/a.js'], deleted_paths: [] } }), policy);
    t.same(v, { ok: false, reason: `configuration changed: ${p}` }, `${p} refused`);
  }
});

t.test('what a runner loads before every test without a test naming it: jest\'s __mocks__, setup and helper files', async (t) => {
  // A `__mocks__/<package>.js` beside node_modules replaces that package in every jest test, unasked.
  for (const p of ['__mocks__/axios.js', 'web/__mocks__/fs.ts', 'vitest.setup.ts', 'spec/spec_helper.rb', 'spec/rails_helper.rb']) {
    const v = explainAutoApprove(ctx({ changes: { files: 2, loc: 4, paths: ['src/a.js', p], new_paths: ['src/a.js'], deleted_paths: [] } }), policy);
    t.same(v, { ok: false, reason: `configuration changed: ${p}` }, `${p} refused`);
  }
});

t.test('test files of every layout the test count reads, removed', async (t) => {
  for (const p of ['src/pkg/foo_test.go', 'app/test_models.py', 'app/models_test.py', 'spec/user_spec.rb', 'lib/user_test.rb', 'src/parse_test.rs', 'src/main/java/AppTest.java', 'src/AppTests.kt', 'cypress/e2e/login.cy.ts', 'src/a.spec.ts', 'test/x.js', 'pkg/tests/y.py']) {
    const v = explainAutoApprove(ctx({ changes: { files: 2, loc: 4, paths: ['src/a.js'], new_paths: ['src/a.js'], deleted_paths: [p] } }), policy);
    t.same(v, { ok: false, reason: `test file removed: ${p}` }, p);
  }
});

t.test('a test file renamed away or replaced by a link is a removed test file', async (t) => {
  const v = explainAutoApprove(ctx({ changes: { files: 2, loc: 0, paths: ['src/a.js'], new_paths: ['src/a.js'], deleted_paths: ['test/slug.test.js'] } }), policy);
  t.same(v, { ok: false, reason: 'test file removed: test/slug.test.js' });
});

t.test('a file written with a line over 1,000 bytes, or too large to read for it, is never auto-approved', async (t) => {
  const changes = { files: 1, loc: 2, paths: ['src/a.js'], new_paths: ['src/a.js'], deleted_paths: [] };
  t.same(explainAutoApprove(ctx({ changes: { ...changes, long_line_paths: ['src/a.js'] } }), policy), { ok: false, reason: 'a line over 1000 bytes in src/a.js (git counts it as one line)' });
  t.same(explainAutoApprove(ctx({ changes: { ...changes, unread_paths: ['src/a.js', 'src/b.js'] } }), policy), { ok: false, reason: 'changed files too large to read for their lines: src/a.js, …' });
});

t.test('holdsLongLine: a line over 1,000 bytes of UTF-8, wherever it is', async (t) => {
  t.equal(holdsLongLine(''), false);
  t.equal(holdsLongLine(`${'a'.repeat(1000)}\n${'b'.repeat(999)}`), false, '1,000 bytes is not over');
  t.equal(holdsLongLine(`short\n${'a'.repeat(1001)}\nshort\n`), true, 'in the middle');
  t.equal(holdsLongLine(`short\n${'a'.repeat(1001)}`), true, 'last, with no newline after it');
  t.equal(holdsLongLine('é'.repeat(500)), false, '500 characters of 2 bytes: 1,000 bytes');
  t.equal(holdsLongLine('é'.repeat(501)), true, '501 of them: 1,002 bytes, fewer than 1,000 characters');
  t.equal(holdsLongLine(`${'x\n'.repeat(100_000)}`), false, 'many short lines');
});

t.test("the reviewer's findings are every guardrail that does not hold, the verdict's reason first, at most ten paths of a kind", async (t) => {
  const added = Array.from({ length: 12 }, (_, i) => `src/n${i}.js`);
  const c = ctx({
    verify: { tier: 'tier1', pass: true, skipped: true, log: 'l', output_tail: '' },
    changes: { files: 14, loc: 30, paths: ['package.json', 'test/a.test.js', ...added], new_paths: added, deleted_paths: [], fewer_tests: [{ path: 'test/a.test.js', change: '2 → 1 tests' }] },
  });
  const found = reviewFindings(c, { ...policy, auto_approve: { ...policy.auto_approve, max_files: 100 } });
  t.same(found, [
    'verification was skipped (tier1 ran out of time): nothing was shown green',
    ...added.slice(0, 10).map((p) => `new file ${p} was not in the plan`),
    'and 2 more new files not in the plan',
    'configuration changed: package.json',
    'test-count regression: test/a.test.js (2 → 1 tests)',
  ]);
  t.equal(explainAutoApprove(c, { ...policy, auto_approve: { ...policy.auto_approve, max_files: 100 } }).reason, found[0]);
  t.same(reviewFindings(ctx(), policy), [], 'none for a change that holds every guardrail');
  t.same(reviewFindings(ctx(), { ...policy, auto_approve: { ...policy.auto_approve, enabled: false } }), [], 'the policy turning auto-approve off is no finding about the change');
});
