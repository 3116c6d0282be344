// test cost: about 50 s: eleven whole runs of the plain-sh hostile agent (one killed and resumed), each hiding a planted ignored file its own way.
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeIsoFixture, runResume, runRun, safeGit, type IsoSpec } from './helpers/fixture.js';
import { readJsonl } from '../helpers/run-fixture.js';
import { parse, stringify } from 'yaml';

// The worker plants an ignored file the check trusts; each scenario hides it from the removal
// before each verification (docs/governance.md, "Files git ignores in the workspace") its own
// way. The check passes on the planted file alone: the worker never fixes src/a.txt, so a
// verification that passes rests on the planted file.
const TIERS = { tier0: { commands: ['sh check.sh'] }, tier1: { commands: ['sh check.sh'] }, tier2: { commands: ['sh check.sh'] } };

function run(t: Test, o: { spec: IsoSpec; check: string; repoPolicy?: Record<string, unknown>; files?: Record<string, string>; before?: (repo: string, dir: string) => void }) {
  const f = makeIsoFixture({ spec: o.spec, repoPolicy: { verification: { tiers: TIERS, max_attempts: 1 }, ...o.repoPolicy }, files: { 'check.sh': `#!/bin/sh\n${o.check}\ngrep -q fixed src/a.txt\n`, ...o.files } });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  o.before?.(f.repo, f.dir);
  const r = runRun(f, 'r1', 'off');
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'r1', 'timeline.jsonl'));
  const verified = events.filter((e) => e.type === 'verify.finished');
  return { r, f, events, verified, stop: events.find((e) => e.type === 'run.finished')?.stop_reason };
}

/** The run did not pass on the planted file: no green verification, no clean exit, never an engine error. */
function notGreen(t: Test, o: ReturnType<typeof run>) {
  t.not(o.r.code, 0, 'the run does not complete');
  t.not(o.r.code, 70, `no engine error: ${o.r.stderr}`);
  t.equal(o.verified.filter((e) => e.pass).length, 0, 'no verification passed');
}

t.test('odd names: a newline, a leading dash, spaces, non-ASCII', async (t) => {
  const o = run(t, {
    files: { '.gitignore': '*.stamp\n' },
    check: 'for f in *.stamp; do test -e "$f" && exit 0; done',
    spec: { calls: { 'implement#1': { sh: "touch -- \"$(printf -- '-rf\\n x.stamp')\" ' a b.stamp' 'é√.stamp'" } } },
  });
  notGreen(t, o);
  t.equal(o.verified[0]?.ignored_removed?.count, 3);
});

t.test('a folder git lists whole once the worker removed the tracked file in it, around the path the set-up left there', async (t) => {
  // build/ is ignored, but build/README is tracked: git lists the set-up's build/stamp alone.
  // Once the worker removes README, git lists build/ whole, the worker's own file in it too.
  const o = run(t, {
    files: { '.gitignore': 'build/\n' },
    repoPolicy: { workspace: { setup: ['mkdir -p build && echo ok > build/stamp'] }, governance: { allowed_roots: ['src/**', 'build/**'] } },
    before: (repo) => {
      mkdirSync(path.join(repo, 'build'));
      writeFileSync(path.join(repo, 'build', 'README'), 'build output goes here\n');
      safeGit(repo, ['add', '-f', 'build/README']);
      safeGit(repo, ['commit', '-q', '-m', 'build folder', '--', 'build/README']);
    },
    check: 'test -f build/stamp || exit 1\ntest -f build/evil.flag && exit 0',
    spec: { calls: { 'implement#1': { sh: 'rm build/README && : > build/evil.flag' } } },
  });
  t.same(o.events.find((e) => e.type === 'workspace.setup')?.ignored, ['build/stamp']);
  notGreen(t, o);
  t.same(o.verified[0]?.ignored_removed, { count: 1, paths: ['build/evil.flag'] });
});

t.test('the same folder made search-only', async (t) => {
  // build/ is ignored, but build/README is tracked: git lists the set-up's build/stamp alone.
  // Once the worker removes README, git lists build/ whole, the worker's own file in it too.
  const o = run(t, {
    files: { '.gitignore': 'build/\n' },
    repoPolicy: { workspace: { setup: ['mkdir -p build && echo ok > build/stamp'] }, governance: { allowed_roots: ['src/**', 'build/**'] } },
    before: (repo) => {
      mkdirSync(path.join(repo, 'build'));
      writeFileSync(path.join(repo, 'build', 'README'), 'build output goes here\n');
      safeGit(repo, ['add', '-f', 'build/README']);
      safeGit(repo, ['commit', '-q', '-m', 'build folder', '--', 'build/README']);
    },
    check: 'test -f build/stamp || exit 1\ntest -f build/evil.flag && exit 0',
    spec: { calls: { 'implement#1': { sh: 'rm build/README && : > build/evil.flag && chmod 311 build' } } },
  });
  t.same(o.events.find((e) => e.type === 'workspace.setup')?.ignored, ['build/stamp']);
  notGreen(t, o);
  t.same(o.verified[0]?.ignored_removed, { count: 1, paths: ['build/evil.flag'] });
});

t.test('a folder the worker made unreadable (search only) around a planted file', async (t) => {
  const o = run(t, {
    files: { '.gitignore': '*.stamp\n', 'lib/x.txt': 'x\n' },
    check: 'test -f lib/ok.stamp && exit 0',
    spec: { calls: { 'implement#1': { sh: ': > lib/ok.stamp && chmod 311 lib' } } },
  });
  notGreen(t, o);
  t.same(o.verified[0]?.ignored_removed, { count: 1, paths: ['lib/ok.stamp'] }, 'git lists it (the snapshot gave the folder back its permissions), and it goes');
});

t.test("the shared link's folder made a link out of the workspace: nothing is made there", async (t) => {
  const o = run(t, {
    files: { '.gitignore': 'node_modules/\n', 'packages/a/index.js': '1\n' },
    repoPolicy: { workspace: { share: ['packages/a/node_modules'] } },
    before: (repo, dir) => {
      mkdirSync(path.join(repo, 'packages', 'a', 'node_modules', 'dep'), { recursive: true });
      writeFileSync(path.join(repo, 'packages', 'a', 'node_modules', 'dep', 'index.js'), '// real\n');
      mkdirSync(path.join(dir, 'outside'));
    },
    check: 'test -f packages/a/node_modules/dep/index.js || exit 0',
    spec: { calls: { 'implement#1': { sh: 'rm -rf packages/a && ln -s "$ISO_SCRATCH/../outside" packages/a' } } },
  });
  t.not(o.r.code, 70, o.r.stderr);
  t.same(readdirSync(path.join(o.f.dir, 'outside')), [], 'nothing was made outside the workspace');
});

t.test('the shared link pointed at a folder of fake dependencies outside the workspace is put back', async (t) => {
  const o = run(t, {
    files: { '.gitignore': 'node_modules/\n' },
    repoPolicy: { workspace: { share: ['node_modules'] } },
    before: (repo, dir) => {
      mkdirSync(path.join(repo, 'node_modules', 'dep'), { recursive: true });
      writeFileSync(path.join(repo, 'node_modules', 'dep', 'index.js'), '// real\n');
      mkdirSync(path.join(dir, 'fake', 'dep'), { recursive: true });
      writeFileSync(path.join(dir, 'fake', 'dep', 'index.js'), '// fake\n');
    },
    check: 'grep -q fake node_modules/dep/index.js && exit 0',
    spec: { calls: { 'implement#1': { sh: 'rm node_modules && ln -s "$ISO_SCRATCH/../fake" node_modules' } } },
  });
  notGreen(t, o);
  t.ok(existsSync(path.join(o.f.dir, 'fake', 'dep', 'index.js')), 'the link is removed, never what it points at');
});

t.test('10,000 planted ignored files are all gone', async (t) => {
  const o = run(t, {
    files: { '.gitignore': '*.stamp\n', 'many/keep.txt': 'x\n' },
    check: 'ls many | grep -q stamp && exit 0',
    spec: { calls: { 'implement#1': { sh: 'cd many && seq 1 10000 | sed s/$/.stamp/ | xargs touch' } } },
  });
  notGreen(t, o);
  t.equal(o.verified[0]?.ignored_removed?.count, 10000);
  t.equal(o.verified[0]?.ignored_removed?.paths.length, 50);
});

t.test('a non-UTF-8 name: the snapshot after the worker removes it, a violation, before any verification', async (t) => {
  const o = run(t, {
    files: { '.gitignore': '*.stamp\n' },
    check: 'ls | grep -q stamp && exit 0',
    spec: { calls: { 'implement#1': { sh: "touch \"$(printf '\\377.stamp')\"" } } },
  });
  notGreen(t, o);
  t.equal(o.stop, 'governance_violation');
  t.match(o.events.find((e) => e.type === 'governance.violation')?.violations, [{ rule: 'non_utf8_path' }]);
});

// The engine: the nearest ancestor running engine.js (the agent's parent may be a wrapper).
const KILL_ENGINE = 'p=$ENGINE_PID; while [ "${p:-0}" -gt 1 ]; do if grep -q "engine\\.js" /proc/$p/cmdline 2>/dev/null; then kill -9 $p; break; fi; p=$(awk \'{print $4}\' /proc/$p/stat 2>/dev/null); done';

t.test('set-up commands added by --reload-config after the worker planted a file: the set-up does not keep it', async (t) => {
  // The run is killed in the implementer's call, its planted flag left in the workspace (a
  // rollback keeps ignored files). The user adds set-up commands and resumes with
  // --reload-config: the set-up runs then, before the verification, and what git ignores
  // after it is what every verification keeps.
  const f = makeIsoFixture({
    spec: { calls: { 'implement#1': { sh: `: > build.flag; ${KILL_ENGINE}`, once: true } } },
    repoPolicy: { verification: { tiers: TIERS, max_attempts: 1 } },
    files: { 'check.sh': '#!/bin/sh\ntest -f build.flag && exit 0\ngrep -q fixed src/a.txt\n', '.gitignore': 'build.flag\nout/\n' },
  });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const first = runRun(f, 'r1', 'off');
  t.equal(first.signal, 'SIGKILL', 'the worker killed the engine');
  const policyFile = path.join(f.repo, '.engine', 'policy.yaml');
  const policy = parse(readFileSync(policyFile, 'utf8'));
  writeFileSync(policyFile, stringify({ ...policy, workspace: { setup: ['mkdir -p out && : > out/made'] } }));
  const r = runResume(f, 'r1', 'off', ['--reload-config']);
  t.not(r.code, 70, r.stderr);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'r1', 'timeline.jsonl'));
  const setup = events.find((e) => e.type === 'workspace.setup');
  t.equal(setup?.pass, true, r.stderr);
  t.same(setup?.ignored, ['out/'], "only the set-up's own output is kept");
  t.match(readFileSync(path.join(f.repo, '.engine', 'runs', 'r1', setup!.log), 'utf8'), /# removed 1 git-ignored path before the set-up \(only the shared paths stay\): build\.flag/);
  t.equal(events.filter((e) => e.type === 'verify.finished' && e.pass).length, 0, 'no verification passed on the planted flag');
  t.not(r.code, 0);
});

t.test("the shared link's folder made unreadable: never an engine error", async (t) => {
  const o = run(t, {
    files: { '.gitignore': 'node_modules/\n', 'packages/a/index.js': '1\n' },
    repoPolicy: { workspace: { share: ['packages/a/node_modules'] } },
    before: (repo) => {
      mkdirSync(path.join(repo, 'packages', 'a', 'node_modules', 'dep'), { recursive: true });
      writeFileSync(path.join(repo, 'packages', 'a', 'node_modules', 'dep', 'index.js'), '// real\n');
    },
    check: 'test -f packages/a/x.stamp && exit 0',
    spec: { calls: { 'implement#1': { sh: 'rm packages/a/node_modules && mkdir packages/a/node_modules && chmod 000 packages/a' } } },
  });
  t.not(o.r.code, 70, o.r.stderr);
  t.same(o.verified[0]?.ignored_removed, { count: 1, paths: ['packages/a/node_modules'] }, 'the snapshot gave the folder back its permissions, and the link is put back');
  t.equal(o.verified.filter((e) => e.pass).length, 0);
});

t.test('verification.cwd made a link into an ignored folder of the worker: the folder goes, the verification does not pass there', async (t) => {
  const o = run(t, {
    files: { '.gitignore': '.cache/\n', 'pkg/check.sh': '#!/bin/sh\ngrep -q fixed ../src/a.txt\n' },
    repoPolicy: { verification: { tiers: TIERS, max_attempts: 1, cwd: 'pkg' }, governance: { allowed_roots: ['src/**', 'pkg/**'] } },
    check: 'exit 1',
    spec: { calls: { 'implement#1': { sh: "rm -rf pkg && mkdir -p .cache/fake && printf 'exit 0\\n' > .cache/fake/check.sh && ln -s .cache/fake pkg" } } },
  });
  notGreen(t, o);
  t.same(o.verified[0]?.ignored_removed, { count: 1, paths: ['.cache/'] });
});
