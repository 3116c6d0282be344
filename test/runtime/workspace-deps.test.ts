import t from 'tap';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { makeFixture, engine, readJsonl, twoMilestones, type AgentScript } from '../helpers/run-fixture.js';

// A workspace outside the repo still runs the repo's own tests: the checkout's git-ignored
// node_modules is shared read-only, or the policy's workspace.setup installs what is needed.

/** Every file under a directory with its size and mtime: what "unchanged" means here. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      out.push(`${path.relative(dir, p)} ${st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** A repo whose test imports `greet`, a dependency installed (git-ignored) in the checkout. */
function projectWithDependency(script: AgentScript, policy: Record<string, unknown> = {}) {
  const f = makeFixture({ script, policy: { verification: { tiers: { tier0: { commands: ['node --test test/'] }, tier2: { commands: ['node --test test/'] } } }, ...policy } });
  writeFileSync(path.join(f.repo, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
  writeFileSync(path.join(f.repo, '.gitignore'), 'node_modules/\n');
  mkdirSync(path.join(f.repo, 'test'));
  writeFileSync(path.join(f.repo, 'test', 'greet.test.mjs'), "import test from 'node:test';\nimport assert from 'node:assert';\nimport { greet } from 'greet';\ntest('greet', () => assert.equal(greet('x'), 'hello x'));\n");
  f.git('add', '.');
  f.git('commit', '-q', '-m', 'a project with a dependency');
  const dep = path.join(f.repo, 'node_modules', 'greet');
  mkdirSync(dep, { recursive: true });
  writeFileSync(path.join(dep, 'package.json'), JSON.stringify({ name: 'greet', version: '1.0.0', type: 'module', main: 'index.js' }));
  writeFileSync(path.join(dep, 'index.js'), "export const greet = (who) => `hello ${who}`;\n");
  return f;
}

const run = (f: ReturnType<typeof makeFixture>, id: string, extra: string[] = []) =>
  engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress', '--set', 'sandbox.mode=off', ...extra], { cwd: f.dir });

t.test("the checkout's ignored node_modules is shared: tier0 imports the dependency and stays green; the checkout's copy is untouched", async (t) => {
  const f = projectWithDependency(twoMilestones);
  const before = listing(path.join(f.repo, 'node_modules'));
  const status = f.git('status', '--porcelain');
  const r = run(f, 'share');
  t.equal(r.code, 0, r.stderr);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'share', 'timeline.jsonl'));
  t.same(events[0].shared, ['node_modules'], 'run.started names the shared path');
  const tier0 = events.filter((e) => e.type === 'verify.finished' && e.tier === 'tier0');
  t.ok(tier0.length >= 2 && tier0.every((e) => e.pass), 'tier0 passed with the dependency in every milestone');
  t.same(listing(path.join(f.repo, 'node_modules')), before, "the checkout's node_modules: same files, sizes and mtimes");
  t.equal(f.git('status', '--porcelain'), status, 'git status as before');
  t.notMatch(f.git('ls-tree', '-r', '--name-only', 'engine/share'), /node_modules/, 'the link is never on the branch');
});

t.test('a write through the shared link into the checkout is a violation (exit 3), found without the OS sandbox', async (t) => {
  const script = { ...twoMilestones, writes: { 'implement#1#1': { 'node_modules/greet/index.js': 'export const greet = () => "pwned";\n' } } };
  const f = projectWithDependency(script);
  const r = run(f, 'dep-write');
  t.equal(r.code, 3, r.stderr);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'dep-write', 'timeline.jsonl'));
  const v = events.find((e) => e.type === 'governance.violation');
  t.ok(v, 'a governance.violation');
  t.same(v.violations.map((x: { rule: string; path: string }) => `${x.rule} ${x.path}`), ['shared_path node_modules/greet/index.js']);
  t.equal(events.at(-1).stop_reason, 'governance_violation');
});

t.test('workspace.setup runs once per workspace, is timed in the timeline and the KPIs, and a resume reuses it', async (t) => {
  const f = projectWithDependency(twoMilestones, { workspace: { setup: ['mkdir -p node_modules/greet && cp -r vendor/greet/. node_modules/greet/ && echo set-up >> setup-count.log'] } });
  // The set-up installs from a vendored copy (offline); the checkout's own node_modules is not shared.
  mkdirSync(path.join(f.repo, 'vendor', 'greet'), { recursive: true });
  for (const file of ['package.json', 'index.js']) writeFileSync(path.join(f.repo, 'vendor', 'greet', file), readFileSync(path.join(f.repo, 'node_modules', 'greet', file)));
  writeFileSync(path.join(f.repo, '.gitignore'), 'node_modules/\nsetup-count.log\n');
  f.git('add', '.');
  f.git('commit', '-q', '-m', 'vendor the dependency');
  const stopped = run(f, 'setup', ['--max-ticks', '3']);
  t.equal(stopped.code, 1, stopped.stderr);
  const ws = JSON.parse(readFileSync(path.join(f.repo, '.engine', 'runs', 'setup', 'state.json'), 'utf8')).workspace;
  t.notOk(lstatSync(path.join(ws, 'node_modules')).isSymbolicLink(), 'with a set-up nothing is linked: the set-up installed it');
  const resumed = engine(['resume', 'setup', '--repo', f.repo, '--no-progress'].filter((a) => a !== '--no-progress'), { cwd: f.dir });
  t.equal(resumed.code, 0, resumed.stderr);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'setup', 'timeline.jsonl'));
  const setups = events.filter((e) => e.type === 'workspace.setup');
  t.equal(setups.length, 1, 'the set-up ran once, not again on resume');
  t.equal(setups[0].pass, true);
  t.ok(setups[0].duration_ms >= 0 && setups[0].log.endsWith('-setup.log'));
  t.ok(existsSync(path.join(f.repo, '.engine', 'runs', 'setup', setups[0].log)), 'its log is in verify/');
  const state = JSON.parse(readFileSync(path.join(f.repo, '.engine', 'runs', 'setup', 'state.json'), 'utf8'));
  t.ok(state.kpis.verify_s.setup, 'the set-up time is a KPI of its own (verify_s.setup)');
  t.match(readFileSync(path.join(f.repo, '.engine', 'runs', 'setup', 'summary.md'), 'utf8'), /\| workspace set-up max \(s\) \|/);
});

t.test('a failing set-up stops the run with the command named, and a set-up may not change tracked files', async (t) => {
  const failing = projectWithDependency(twoMilestones, { workspace: { setup: ['exit 7'] } });
  const r = run(failing, 'setup-fail');
  t.equal(r.code, 1, r.stderr);
  const state = JSON.parse(readFileSync(path.join(failing.repo, '.engine', 'runs', 'setup-fail', 'state.json'), 'utf8'));
  t.equal(state.stop_reason, 'verification_failed');
  t.match(state.stop_detail, /the workspace set-up failed: `exit 7` exited 7 \(see verify\/0001-setup\.log\)/);

  const tracked = projectWithDependency(twoMilestones, { workspace: { setup: ['echo changed >> README.md'] } });
  const r2 = run(tracked, 'setup-tracked');
  t.equal(r2.code, 1, r2.stderr);
  const s2 = JSON.parse(readFileSync(path.join(tracked.repo, '.engine', 'runs', 'setup-tracked', 'state.json'), 'utf8'));
  t.match(s2.stop_detail, /it changed tracked files \(README\.md\); a set-up may only add ignored files/);
  t.equal(readFileSync(path.join(s2.workspace, 'README.md'), 'utf8'), '# target\n', 'the workspace was put back');
});

t.test('workspace.setup with a real `npm ci` (a file: dependency, offline) runs once per workspace, under the OS sandbox when there is one, and its time is in the report', async (t) => {
  const f = makeFixture({ script: twoMilestones, policy: { verification: { tiers: { tier0: { commands: ['node --test test/'] }, tier2: { commands: ['node --test test/'] } } } } });
  mkdirSync(path.join(f.repo, 'vendor', 'greet'), { recursive: true });
  writeFileSync(path.join(f.repo, 'vendor', 'greet', 'package.json'), JSON.stringify({ name: 'greet', version: '1.0.0', type: 'module', main: 'index.js' }));
  writeFileSync(path.join(f.repo, 'vendor', 'greet', 'index.js'), "export const greet = (who) => `hello ${who}`;\n");
  writeFileSync(path.join(f.repo, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true, dependencies: { greet: 'file:vendor/greet' } }));
  writeFileSync(path.join(f.repo, '.gitignore'), 'node_modules/\n');
  mkdirSync(path.join(f.repo, 'test'));
  writeFileSync(path.join(f.repo, 'test', 'greet.test.mjs'), "import test from 'node:test';\nimport assert from 'node:assert';\nimport { greet } from 'greet';\ntest('greet', () => assert.equal(greet('x'), 'hello x'));\n");
  execFileSync('npm', ['install', '--package-lock-only', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: f.repo, stdio: 'ignore' });
  f.git('add', '.');
  f.git('commit', '-q', '-m', 'a project with a locked file: dependency');
  // npm keeps its cache and logs under ~/.npm, read-only under the OS sandbox: the private /tmp is writable.
  const setup = 'npm ci --prefer-offline --no-audit --no-fund --ignore-scripts --cache /tmp/engine-npm-cache';
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'npmci', '--no-progress', '--set', `workspace.setup=["${setup}"]`], { cwd: f.dir });
  t.equal(r.code, 0, r.stderr);
  const runDir = path.join(f.repo, '.engine', 'runs', 'npmci');
  const events = readJsonl(path.join(runDir, 'timeline.jsonl'));
  const setups = events.filter((e) => e.type === 'workspace.setup');
  t.equal(setups.length, 1, 'npm ci ran once for the workspace');
  t.same(setups[0].commands.map((c: { command: string; exit_code: number }) => [c.command, c.exit_code]), [[setup, 0]]);
  t.ok(events.filter((e) => e.type === 'verify.finished' && e.tier === 'tier0').every((e) => e.pass), 'tier0 imports what npm ci installed');
  t.notOk(existsSync(path.join(f.repo, 'node_modules')), "nothing was installed in the user's checkout");
  const report = engine(['report', 'npmci', '--repo', f.repo, '--json'], { cwd: f.dir });
  t.equal(report.code, 0, report.stderr);
  const doc = JSON.parse(report.stdout);
  t.ok(doc.runs[0].kpis.verify_s.setup.max >= 0, 'the set-up time is in the report (verify_s.setup)');
  const text = engine(['report', 'npmci', '--repo', f.repo], { cwd: f.dir });
  t.match(text.stdout, /workspace set-up max \(s\)/);
});

t.test('under the OS sandbox a write through the shared link is refused: the checkout\'s node_modules stays as it was', { skip: spawnSync('bwrap', ['--ro-bind', '/', '/', 'true']).status === 0 ? false : 'bubblewrap does not work here' }, async (t) => {
  const script = { ...twoMilestones, writes: { 'implement#1#1': { 'node_modules/greet/index.js': 'export const greet = () => "pwned";\n' } } };
  const f = projectWithDependency(script);
  const before = listing(path.join(f.repo, 'node_modules'));
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'dep-bwrap', '--no-progress', '--set', 'sandbox.mode=bwrap'], { cwd: f.dir });
  t.not(r.code, 0, 'the run does not complete');
  t.not(r.code, 70, r.stderr);
  t.same(listing(path.join(f.repo, 'node_modules')), before, "the checkout's node_modules: same files, sizes and mtimes");
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'dep-bwrap', 'timeline.jsonl'));
  const call = events.find((e) => e.type === 'worker.finished' && e.step === 'implement');
  t.match(call.error, /EROFS|read-only file system/i, 'the write was refused by the read-only filesystem');
});

t.test('a workspace.share glob that matches no ignored path is said at the start, in the timeline and in the summary', async (t) => {
  const f = projectWithDependency(twoMilestones, { workspace: { share: ['node_module', 'node_modules'] } });
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'typo', '--set', 'sandbox.mode=off'], { cwd: f.dir });
  t.equal(r.code, 0, r.stderr);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'typo', 'timeline.jsonl'));
  t.same(events[0].shared, ['node_modules'], 'the glob that matched is shared');
  t.same(events[0].share_unmatched, ['node_module'], 'the one that matched nothing is named');
  const note = 'workspace.share "node_module" matched no git-ignored path of the checkout (a misspelt name, a tracked path, or dependencies not installed yet): the workspace sees nothing through it';
  t.match(r.stderr, `note: ${note}`, 'said as the run starts');
  t.match(readFileSync(path.join(f.repo, '.engine', 'runs', 'typo', 'summary.md'), 'utf8'), `- note: ${note}`, 'and in the summary');

  const clean = run(f, 'no-typo', ['--set', 'workspace.share=["node_modules"]']);
  t.equal(clean.code, 0, clean.stderr);
  t.notOk('share_unmatched' in readJsonl(path.join(f.repo, '.engine', 'runs', 'no-typo', 'timeline.jsonl'))[0], 'every glob matched: no field');
});
