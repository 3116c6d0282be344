import t from 'tap';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { makeFixture, engine, readJsonl, writeAgentScript, type AgentScript } from '../helpers/run-fixture.js';

// The contract's auto-approve skips the reviewer only with "no test-count or config
// regression". A contract review had the implementer cut a test file from two tests to one:
// verification stayed green, the change was small, and the reviewer was skipped.
const TWO = "import test from 'node:test';\ntest('slug lowercases', () => {});\ntest('slug trims', () => {});\n";
const ONE = "import test from 'node:test';\ntest('slug lowercases', () => {});\n";
const ONE_MORE = `${TWO}test('slug keeps digits', () => {});\n`;

function project(write: string) {
  const script: AgentScript = {
    plan: [{ id: 'm1', goal: 'tidy the tests', files_expected: ['test/slug.test.js'] }],
    implement: { '1': { 'test/slug.test.js': write } },
  };
  const f = makeFixture({ script, policy: { auto_approve: { enabled: true }, explore: { mode: 'off' }, verification: { tiers: { tier0: { commands: ['true'] }, tier2: { commands: ['true'] } } } } });
  mkdirSync(path.join(f.repo, 'test'));
  writeFileSync(path.join(f.repo, 'test', 'slug.test.js'), TWO);
  f.git('add', '.');
  f.git('commit', '-q', '-m', 'two tests');
  return f;
}

const run = (f: ReturnType<typeof makeFixture>, id: string) =>
  engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress'], { cwd: f.dir });

t.test('a test file left with fewer tests is reviewed, never auto-approved', async (t) => {
  const f = project(ONE);
  const r = run(f, 'fewer');
  t.equal(r.code, 0, r.stderr);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'fewer', 'timeline.jsonl'));
  t.notOk(events.some((e) => e.type === 'review.skipped'), 'no review skipped');
  t.match(events.find((e) => e.type === 'decision.made' && e.milestone === 1)?.reason, 'test-count regression: test/slug.test.js (2 → 1 tests)');
  const review = events.find((e) => e.type === 'worker.started' && e.step === 'review');
  t.ok(review, 'the reviewer was called');
  // The engine found the regression: the reviewer is told, not left to find it in the diff.
  const prompt = readFileSync(path.join(f.repo, '.engine', 'runs', 'fewer', review.call, 'prompt.md'), 'utf8');
  t.match(prompt, /- test-count regression: test\/slug\.test\.js \(2 → 1 tests\)/, "the reviewer's prompt names what the engine found");
});

t.test('a test file given one more test is auto-approved as before', async (t) => {
  const f = project(ONE_MORE);
  const r = run(f, 'more');
  t.equal(r.code, 0, r.stderr);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'more', 'timeline.jsonl'));
  t.ok(events.some((e) => e.type === 'review.skipped' && e.milestone === 1), 'the review skipped');
  t.notOk(events.some((e) => e.type === 'worker.started' && e.step === 'review'));
});

t.test('test files too large to read for their count are a regression the reviewer looks at, never read whole', async (t) => {
  // 9 MiB a version, a line changed: a small diff, both versions past the 16 MiB read for counting.
  const big = `${TWO}// ${'x'.repeat(9 * 2 ** 20)}\n`;
  const f = project(`${big}test('one more', () => {});\n`);
  writeFileSync(path.join(f.repo, 'test', 'slug.test.js'), big);
  f.git('commit', '-q', '-am', 'a large test file');
  const r = run(f, 'large');
  t.equal(r.code, 0, r.stderr);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'large', 'timeline.jsonl'));
  t.match(events.find((e) => e.type === 'decision.made' && e.milestone === 1)?.reason, /test-count regression: test\/slug\.test\.js \(too large to count its tests \(over 16 MiB with the others\)\)/);
  t.notOk(events.some((e) => e.type === 'review.skipped'));
});

t.test('a new test file that skips, or runs only its own tests, is reviewed: in Mocha an `.only` turns every other file off', async (t) => {
  const only = "describe.only('slug', () => { it('is a function', () => {}); });\n";
  const script: AgentScript = {
    plan: [{ id: 'm1', goal: 'add a test', files_expected: ['test/zz.test.js'] }],
    implement: { '1': { 'test/zz.test.js': only } },
  };
  const f = makeFixture({ script, policy: { auto_approve: { enabled: true }, explore: { mode: 'off' }, verification: { tiers: { tier0: { commands: ['true'] }, tier2: { commands: ['true'] } } } } });
  const r = run(f, 'only');
  t.equal(r.code, 0, r.stderr);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'only', 'timeline.jsonl'));
  t.match(events.find((e) => e.type === 'decision.made' && e.milestone === 1)?.reason, 'test-count regression: test/zz.test.js (0 → 1 skipped)');
  t.notOk(events.some((e) => e.type === 'review.skipped'), 'no review skipped');
});

t.test('a new test file that only adds tests is auto-approved as before', async (t) => {
  const f = project(TWO);
  writeAgentScript(f.scriptFile, { plan: [{ id: 'm1', goal: 'add a test', files_expected: ['test/more.test.js'] }], implement: { '1': { 'test/more.test.js': TWO } } });
  const r = run(f, 'added');
  t.equal(r.code, 0, r.stderr);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'added', 'timeline.jsonl'));
  t.ok(events.some((e) => e.type === 'review.skipped' && e.milestone === 1), 'the review skipped');
});

t.test('with auto-approve off, the reviewer is still told of a test-count regression', async (t) => {
  const f = project(ONE);
  const policy = parse(readFileSync(f.policyFile, 'utf8'));
  writeFileSync(f.policyFile, stringify({ ...policy, auto_approve: { enabled: false } }));
  const r = run(f, 'off');
  t.equal(r.code, 0, r.stderr);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'off', 'timeline.jsonl'));
  const review = events.find((e) => e.type === 'worker.started' && e.step === 'review');
  const prompt = readFileSync(path.join(f.repo, '.engine', 'runs', 'off', review.call, 'prompt.md'), 'utf8');
  t.match(prompt, /- test-count regression: test\/slug\.test\.js \(2 → 1 tests\)/);
});
