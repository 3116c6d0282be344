import t from 'tap';
import { checkChanges, describeViolation, describeViolations, stopFor, type GovernanceRules } from '../../engine/governance/check-changes.js';

const rules = (over: Partial<GovernanceRules> = {}): GovernanceRules => ({
  allowedRoots: ['**'],
  taskRoots: null,
  protected: ['.git/**', '.engine/**'],
  lockfiles: ['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml', 'npm-shrinkwrap.json'],
  allowDeps: false,
  frameworkPaths: ['engine/**', 'templates/**', 'package.json'],
  ownRepo: false,
  readOnly: false,
  ...over,
});

t.test('ordinary changes inside the default roots pass', async (t) => {
  t.same(checkChanges(['src/a.ts', 'README.md', '.github/workflows/ci.yml', 'engine/x.ts'], rules()), []);
});

t.test('a read-only step may change nothing', async (t) => {
  t.same(checkChanges(['src/a.ts', 'notes.md'], rules({ readOnly: true })), [
    { path: 'notes.md', rule: 'read_only', pattern: null },
    { path: 'src/a.ts', rule: 'read_only', pattern: null },
  ]);
});

t.test('protected paths, the fixed ones and the policy\'s own, name their pattern', async (t) => {
  const r = rules({ protected: ['.git/**', '.engine/**', 'secrets/**', '*.pem'] });
  t.same(checkChanges(['.engine/runs/x/state.json', 'secrets/key.txt', 'server.pem', 'src/ok.ts'], r), [
    { path: '.engine/runs/x/state.json', rule: 'protected', pattern: '.engine/**' },
    { path: 'secrets/key.txt', rule: 'protected', pattern: 'secrets/**' },
    { path: 'server.pem', rule: 'protected', pattern: '*.pem' },
  ]);
});

t.test('protected paths, lockfiles and framework paths match in either case; the allowed roots as written', async (t) => {
  // On a file system that folds case (macOS, Windows) .ENGINE/policy.yaml is .engine/policy.yaml:
  // a branch carrying it overwrote the team's policy where it was merged.
  t.same(checkChanges(['.ENGINE/policy.yaml', '.Git/hooks/pre-commit', 'web/Package-Lock.json', 'src/ok.ts'], rules()), [
    { path: '.ENGINE/policy.yaml', rule: 'protected', pattern: '.engine/**' },
    { path: '.Git/hooks/pre-commit', rule: 'protected', pattern: '.git/**' },
    { path: 'web/Package-Lock.json', rule: 'dependency_file', pattern: 'package-lock.json' },
  ]);
  t.same(checkChanges(['Engine/x.ts'], rules({ ownRepo: true })), [{ path: 'Engine/x.ts', rule: 'framework_path', pattern: 'engine/**' }]);
  t.same(checkChanges(['SRC/a.ts'], rules({ allowedRoots: ['src/**'] })), [{ path: 'SRC/a.ts', rule: 'outside_allowed_roots', pattern: null }], 'an allowed root does not widen by case');
});

t.test('protected paths, lockfiles and framework paths match a name in either Unicode normalization', async (t) => {
  // On macOS config/prod-cafe\u0301 (NFD) and config/prod-café (NFC) are one folder: a worker
  // writing the decomposed twin of a protected path had it committed.
  const r = rules({ protected: ['.git/**', '.engine/**', 'config/prod-caf\u00e9/**'], ownRepo: true, frameworkPaths: ['r\u00e9sum\u00e9/**'] });
  t.same(checkChanges(['config/prod-cafe\u0301/db.yml', 'config/prod-cafe/db.yml', 're\u0301sume\u0301/x.ts'], r), [
    { path: 'config/prod-cafe\u0301/db.yml', rule: 'protected', pattern: 'config/prod-caf\u00e9/**' },
    { path: 're\u0301sume\u0301/x.ts', rule: 'framework_path', pattern: 'r\u00e9sum\u00e9/**' },
  ]);
});

t.test('a protected path reached through a link: the link itself, and each file by the name it has through it', async (t) => {
  // The base tree had .github/dependabot.yml only; the worker moved it to ci/, linked .github
  // to ci and wrote ci/workflows/evil.yml: checked out, .github/workflows/evil.yml exists.
  const r = rules({ protected: ['.git/**', '.engine/**', '.github/workflows/**'] });
  const links = new Map([['.github', 'ci']]);
  const changed = ['.github/dependabot.yml', '.github', 'ci/dependabot.yml', 'ci/workflows/evil.yml'];
  t.same(checkChanges(changed, r), [], 'control: by their own names nothing is protected');
  t.same(checkChanges(changed, r, links), [
    { path: '.github', rule: 'protected', pattern: '.github/workflows/**' },
    { path: '.github/workflows/evil.yml', rule: 'protected', pattern: '.github/workflows/**' },
  ]);
  t.same(checkChanges(['.github'], r, links), [{ path: '.github', rule: 'protected', pattern: '.github/workflows/**' }], 'a new link alone, to a folder that already holds workflows');
  t.same(checkChanges(['ci/workflows/evil.yml'], r, links), [{ path: '.github/workflows/evil.yml', rule: 'protected', pattern: '.github/workflows/**' }], 'a link already there: the file by its other name');
  t.same(checkChanges(['.GitHub'], r, new Map([['.GitHub', 'ci']])).map((v) => v.rule), ['protected'], 'the link in either case');
  t.same(checkChanges(['docs', 'docs/a.md'], r, new Map([['docs', 'ci']])), [], 'a link that leads into nothing protected');
  const fw = rules({ ownRepo: true, frameworkPaths: ['engine/runtime/**'] });
  t.same(checkChanges(['engine', 'mine/runtime/x.ts'], fw, new Map([['engine', 'mine']])), [
    { path: 'engine', rule: 'framework_path', pattern: 'engine/runtime/**' },
    { path: 'engine/runtime/x.ts', rule: 'framework_path', pattern: 'engine/runtime/**' },
  ], 'framework paths the same way');
  t.same(checkChanges(['here', 'src/a.ts'], r, new Map([['here', '.']])), [], 'a link to the root gives no file a name of its own');
  t.same(checkChanges(['.github', 'x.txt'], rules({ protected: ['.github/**'] }), new Map([['.github', '.']])).map((v) => v.path), ['.github'], 'and is checked by its own name');
  const cycle = new Map([['a/c', '../b'], ['b/d', '../a']]);
  t.same(checkChanges(['b/q'], r, cycle), [{ path: 'b/q', rule: 'protected', pattern: null }], 'more names than the check follows: the reviewer decides');
  t.match(describeViolation({ path: 'here', rule: 'protected', pattern: null }), /more names through links than the check follows/);
});

t.test('allowed roots: a path must match one; task roots narrow them further', async (t) => {
  const r = rules({ allowedRoots: ['src/**', 'test/**'] });
  t.same(checkChanges(['src/a.ts', 'test/a.test.ts', 'docs/x.md'], r), [{ path: 'docs/x.md', rule: 'outside_allowed_roots', pattern: null }]);
  const narrowed = rules({ allowedRoots: ['src/**', 'test/**'], taskRoots: ['src/auth/**', 'docs/**'] });
  t.same(
    checkChanges(['src/auth/login.ts', 'src/other.ts', 'docs/x.md'], narrowed).map((v) => v.path),
    ['docs/x.md', 'src/other.ts'],
    'docs/ is in the task roots but not the policy roots; src/other.ts is in the policy roots but not the task roots',
  );
  t.same(checkChanges(['a'], rules({ allowedRoots: [] })), [{ path: 'a', rule: 'outside_allowed_roots', pattern: null }], 'no roots: nothing is writable');
});

t.test('dependency files anywhere in the tree, unless allow_deps', async (t) => {
  const paths = ['package-lock.json', 'packages/web/yarn.lock', 'src/package-lock.json.md'];
  t.same(checkChanges(paths, rules()), [
    { path: 'package-lock.json', rule: 'dependency_file', pattern: 'package-lock.json' },
    { path: 'packages/web/yarn.lock', rule: 'dependency_file', pattern: 'yarn.lock' },
  ]);
  t.same(checkChanges(paths, rules({ allowDeps: true })), []);
});

t.test('framework paths count only when the target is the engine\'s own repo', async (t) => {
  const paths = ['engine/runtime/loop.ts', 'package.json', 'src/a.ts'];
  t.same(checkChanges(paths, rules()), []);
  const own = checkChanges(paths, rules({ ownRepo: true }));
  t.same(own, [
    { path: 'engine/runtime/loop.ts', rule: 'framework_path', pattern: 'engine/**' },
    { path: 'package.json', rule: 'framework_path', pattern: 'package.json' },
  ]);
  t.equal(stopFor(own), 'framework_fix_needed');
});

t.test('the first rule that applies wins, one violation per path, duplicates folded', async (t) => {
  const r = rules({ allowedRoots: ['src/**'], protected: ['.git/**', '.engine/**', 'package-lock.json'] });
  t.same(checkChanges(['package-lock.json', 'package-lock.json'], r), [{ path: 'package-lock.json', rule: 'protected', pattern: 'package-lock.json' }]);
});

t.test('stop reason and descriptions', async (t) => {
  t.equal(stopFor([{ path: 'a', rule: 'framework_path', pattern: 'engine/**' }, { path: 'b', rule: 'outside_allowed_roots', pattern: null }]), 'governance_violation');
  t.equal(stopFor([{ path: 'a', rule: 'read_only', pattern: null }]), 'governance_violation');
  t.match(describeViolation({ path: 'x/y', rule: 'outside_allowed_roots', pattern: null }), /^x\/y: outside the allowed roots$/);
  t.match(describeViolation({ path: 'k.pem', rule: 'protected', pattern: '*.pem' }), /protected \(\*\.pem\)/);
  t.match(describeViolation({ path: 'yarn.lock', rule: 'dependency_file', pattern: 'yarn.lock' }), /allow_deps is false/);
  t.match(describeViolation({ path: 'state.json', rule: 'run_store', pattern: null }), /run store/);
  t.match(describeViolation({ path: 'n', rule: 'read_only', pattern: null }), /read-only/);
  t.match(describeViolation({ path: 'engine/a', rule: 'framework_path', pattern: 'engine/**' }), /framework fix/);
});

// A hostile probe's worker made 200,000 files outside its roots: the stop printed one line of
// 8.5 MB and wrote a memo of 17 MB. What is said to a person is capped; the event keeps all.
t.test('the violations said in words are capped, with how many more and where they all are', async (t) => {
  const many = Array.from({ length: 1000 }, (_, i) => ({ path: `junk/f${i}`, rule: 'outside_allowed_roots' as const, pattern: null }));
  const lines = describeViolations(many);
  t.equal(lines.length, 21);
  t.equal(lines[0], describeViolation(many[0]!));
  t.equal(lines[20], '… and 980 more (every one is in the governance.violation event of timeline.jsonl)');
  t.same(describeViolations(many.slice(0, 3)), many.slice(0, 3).map(describeViolation), 'a few are all said');
  t.equal(describeViolations(many, 50).length, 51);
});

t.test('a path with a line break: one violation of its own, quoted wherever it is said', async (t) => {
  // A new user's worker made `new\nline.txt`: the stop line printed the line break raw, and
  // the roots `**` called the path outside them (a glob's `*` stops at a line break).
  const p = 'new\nline.txt';
  t.same(checkChanges([p, 'src/ok.ts'], rules()), [], 'no root violation: control_characters (check-entries.ts) is the one');
  t.same(checkChanges([p], rules({ protected: ['new*'] })), [{ path: p, rule: 'protected', pattern: 'new*' }], 'a rule that forbids still does');
  for (const rule of ['control_characters', 'protected', 'outside_allowed_roots', 'symlink_escape', 'user_repo'] as const) {
    const said = describeViolation({ path: `a\u001b[31m\nb\u2028c`, rule, pattern: null });
    t.notMatch(said, /[\u0000-\u001f\u2028]/, `${rule}: no control character said raw`);
    t.ok(said.startsWith('"a\\u001b[31m\\nb\\u2028c"'), `${rule}: the path as JSON quotes it, the separator escaped too: ${said}`);
  }
  t.equal(describeViolation({ path: 'src/a b.ts', rule: 'outside_allowed_roots', pattern: null }), 'src/a b.ts: outside the allowed roots', 'a plain path as it was');
});
