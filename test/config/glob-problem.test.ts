import t from 'tap';
import { globProblem } from '../../engine/config/glob-problem.js';
import { checkText } from '../../engine/config/load-file.js';
import { resolvePolicy } from '../../engine/config/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A new user's probe: `allowed_roots: ["!"]` allowed every path (picomatch negation), and
// `"["` and `"src/**{"` passed validate and matched nothing.
t.test('globs that negate, are empty or leave a bracket or brace open are problems; ordinary ones are not', async (t) => {
  for (const bad of ['!', '!secret/**', '', '  ', '[', 'src/**{', 'a[b', '{a,b']) t.ok(globProblem(bad), `${JSON.stringify(bad)}: ${globProblem(bad)}`);
  for (const good of ['src/**', 'docs/*.md', '*.{ts,tsx}', 'test/[abc]*.ts', 'lit\\[eral', '**/package-lock.json', '.github/**']) t.equal(globProblem(good), null, JSON.stringify(good));
});

t.test('validate reports them at their place in a policy and a task', async (t) => {
  const policy = await checkText('apiVersion: engine/v1\nkind: Policy\ngovernance:\n  allowed_roots: ["src/**", "!"]\n  protected: ["["]\nverification:\n  risk_triggers:\n    - {name: pay, paths: ["src/**{"], tier: tier1}\n', 'p.policy.yaml');
  t.same(policy.diagnostics.map((d) => `${d.code}@${d.line}:${d.col}`), ['E_SCHEMA@4:29', 'E_SCHEMA@5:15', 'E_SCHEMA@8:27']);
  t.match(policy.diagnostics[0]!.message, /`governance\.allowed_roots\.1` "!": a leading `!` negates/);
  const task = await checkText('apiVersion: engine/v1\nkind: Task\nname: t\ngoal: g\nallowed_roots: ["!docs/**"]\n', 't.task.yaml');
  t.same(task.diagnostics.map((d) => `${d.code}@${d.line}:${d.col}`), ['E_SCHEMA@5:17']);
});

t.test('an absolute glob or one with .. in a policy is refused where it stands, as in a task', async (t) => {
  // A new user's probe: governance.allowed_roots ["/abs/src/**", "../x/**"] validated, matched
  // nothing, and the run stopped governance_violation, as did each resume of it.
  for (const bad of ['/abs/src/**', '../x/**', 'src/../../etc/**', '/']) t.match(globProblem(bad), /repo-relative/, bad);
  for (const good of ['src/..x/**', 'a..b/**', 'src/.hidden/**']) t.equal(globProblem(good), null, good);
  const policy = await checkText('apiVersion: engine/v1\nkind: Policy\ngovernance:\n  allowed_roots: ["/abs/src/**", "../x/**"]\n', 'p.policy.yaml');
  t.same(policy.diagnostics.map((d) => `${d.code}@${d.line}:${d.col}`), ['E_SCHEMA@4:19', 'E_SCHEMA@4:34']);
  const task = await checkText('apiVersion: engine/v1\nkind: Task\nname: t\ngoal: g\nallowed_roots: ["/abs/**"]\n', 't.task.yaml');
  t.match(task.diagnostics[0], { code: 'E_SCHEMA', line: 5, col: 17, message: /repo-relative/ });
});

t.test('verification.cwd leaving the workspace is refused where it stands', async (t) => {
  // A new user's `verification.cwd: /etc` (or `../..`) validated, and tier0 ran in /etc.
  for (const bad of ['/etc', '../..', 'app/../../x']) {
    const policy = await checkText(`apiVersion: engine/v1\nkind: Policy\nverification:\n  cwd: ${JSON.stringify(bad)}\n`, 'p.policy.yaml');
    t.match(policy.diagnostics, [{ code: 'E_SCHEMA', line: 4, col: 8, message: /`verification\.cwd` ".*": a directory of the repository, relative to its top/ }], bad);
  }
  for (const good of ['.', 'app', 'packages/web', 'a..b']) {
    const policy = await checkText(`apiVersion: engine/v1\nkind: Policy\nverification:\n  cwd: ${JSON.stringify(good)}\n`, 'p.policy.yaml');
    t.same(policy.diagnostics, [], good);
  }
});

t.test('a --set is held to the same globs as a policy file, and so is workspace.share', async (t) => {
  // A new user's probe: `--set 'governance.allowed_roots=["/abs/**"]'` passed `engine policy`
  // (exit 0) and the run stopped at its plan (exit 3); `workspace.share=["/etc"]` only noted.
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'engine-set-globs-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  for (const set of ['governance.allowed_roots=["/abs/**"]', 'governance.protected=["../x/**"]', 'governance.allowed_roots=["!src/**"]', 'governance.lockfiles=["src/[a"]', 'workspace.share=["/etc"]', 'workspace.share=["../x"]']) {
    const r = await resolvePolicy({ files: [], sets: [set], cwd, userFile: null });
    t.equal(r.policy, null, `${set}: refused`);
    t.match(r.diagnostics, [{ code: 'E_SCHEMA', file: '--set', message: new RegExp(`^--set ${set.replace(/[[\]*.()!/]/g, '\\$&')}: `) }], set);
  }
  const ok = await resolvePolicy({ files: [], sets: ['governance.allowed_roots=["src/**"]', 'workspace.share=["node_modules"]'], cwd, userFile: null });
  t.same(ok.diagnostics, [], 'ordinary globs pass');
  const file = await checkText('apiVersion: engine/v1\nkind: Policy\nworkspace:\n  share: ["node_modules", "/etc"]\n', 'p.policy.yaml');
  t.same(file.diagnostics.map((d) => `${d.code}@${d.line}:${d.col}`), ['E_SCHEMA@4:27'], 'workspace.share in a file, where it stands');
});
