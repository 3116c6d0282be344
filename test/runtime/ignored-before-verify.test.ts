// test cost: about 20 s: nine whole runs of the plain-sh hostile agent, one of them under bubblewrap where it works.
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeIsoFixture, modes, runRun, type IsoSpec, type Mode } from '../isolation/helpers/fixture.js';
import { parse, stringify } from 'yaml';
import { readJsonl } from '../helpers/run-fixture.js';

// Files git ignores are in no change: auto-approve judges the committed change and the reviewer
// sees its diff. A worker that planted an ignored file which makes the verification pass (a
// stamp a check script trusts, an `.npmrc` that swaps the shell npm runs scripts with, beside
// a new `.gitignore` that ignores both) had a green tier on a tree no one else would see
// green. Before each verification and command step the engine removes every ignored path that
// the workspace's set-up did not leave (docs/governance.md).
const CHECK = '#!/bin/sh\n# the stamp stands in for a build output a test trusts\ntest -f build/stamp && exit 0\ntest -f build.flag && exit 0\ngrep -q fixed src/a.txt\n';
const TIERS = { tier0: { commands: ['sh check.sh'] }, tier1: { commands: ['sh check.sh'] }, tier2: { commands: ['sh check.sh'] } };

function run(t: Test, o: { spec: IsoSpec; mode?: Mode; repoPolicy?: Record<string, unknown>; files?: Record<string, string>; before?: (repo: string) => void }) {
  const f = makeIsoFixture({ spec: o.spec, repoPolicy: { verification: { tiers: TIERS, max_attempts: 1 }, ...o.repoPolicy }, files: { 'check.sh': CHECK, ...o.files } });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  o.before?.(f.repo);
  const r = runRun(f, 'r1', o.mode ?? 'off');
  const runDir = path.join(f.repo, '.engine', 'runs', 'r1');
  const events = readJsonl(path.join(runDir, 'timeline.jsonl'));
  const verified = events.filter((e) => e.type === 'verify.finished');
  const approved = events.filter((e) => e.type === 'decision.made' && /^(auto_approve: )?verification green/.test(String(e.reason)));
  const log = (e: Record<string, any>) => readFileSync(path.join(runDir, e.log), 'utf8');
  return { r, f, events, verified, approved, log };
}

for (const { mode, skip } of modes()) {
  t.test(`${mode}: an ignored stamp the worker planted is gone before the verification, which fails as it would anywhere else`, { skip }, async (t) => {
    const { r, verified, approved, events, log } = run(t, { mode, files: { '.gitignore': 'build/\n' }, spec: { calls: { 'implement#1': { sh: 'mkdir -p build && echo ok > build/stamp' } } } });
    t.not(r.code, 0, 'the run does not complete');
    t.equal(events.find((e) => e.type === 'run.finished')?.stop_reason, 'verification_failed', r.stderr);
    t.equal(approved.length, 0, 'nothing auto-approved');
    t.ok(verified.length >= 1);
    t.same(verified[0]?.ignored_removed, { count: 1, paths: ['build/'] }, 'the removal is recorded with the verification');
    t.equal(verified[0]?.pass, false);
    t.match(log(verified[0]!), /# removed 1 git-ignored path the workspace's set-up did not leave: build\//, 'and named in its log');
    t.equal(events.filter((e) => e.type === 'checkpoint.created').length, 0);
  });
}

t.test('a new .gitignore that ignores itself and the file beside it: both are gone before the verification', async (t) => {
  const { r, verified, approved } = run(t, { spec: { calls: { 'implement#1': { sh: "printf '.gitignore\\nbuild.flag\\n' > .gitignore && : > build.flag" } } } });
  t.not(r.code, 0);
  t.equal(approved.length, 0);
  t.same(verified[0]?.ignored_removed, { count: 2, paths: ['.gitignore', 'build.flag'] });
  t.equal(verified[0]?.pass, false);
});

t.test("what the set-up left stays, and the worker's own ignored files go: a change that passes on its merits is auto-approved", async (t) => {
  const { r, events, verified, approved } = run(t, {
    files: { '.gitignore': 'build/\n*.log\n', 'check.sh': '#!/bin/sh\ntest -f build/stamp && test ! -e src/debug.log && grep -q fixed src/a.txt\n' },
    repoPolicy: { workspace: { setup: ['mkdir -p build && echo ok > build/stamp'] } },
    spec: { calls: { 'implement#1': { sh: 'echo fixed >> src/a.txt && echo noise > src/debug.log' } } },
  });
  t.equal(r.code, 0, r.stderr);
  t.same(events.find((e) => e.type === 'workspace.setup')?.ignored, ['build/'], "the set-up's ignored paths are recorded");
  t.same(verified[0]?.ignored_removed, { count: 1, paths: ['src/debug.log'] });
  t.equal(verified[0]?.pass, true);
  t.equal(approved.length, 1, 'auto-approved on its merits');
});

t.test("a shared path of the user's checkout stays (the workspace's link to installed dependencies)", async (t) => {
  const { r, verified } = run(t, {
    files: { '.gitignore': 'node_modules/\n', 'check.sh': '#!/bin/sh\ntest -f node_modules/dep/index.js && grep -q fixed src/a.txt\n' },
    repoPolicy: { workspace: { share: ['node_modules'] } },
    before: (repo) => {
      mkdirSync(path.join(repo, 'node_modules', 'dep'), { recursive: true });
      writeFileSync(path.join(repo, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n');
    },
    spec: { calls: { 'implement#1': { sh: 'echo fixed >> src/a.txt' } } },
  });
  t.equal(r.code, 0, r.stderr);
  t.equal(verified[0]?.pass, true);
  t.equal(verified[0]?.ignored_removed, undefined, 'nothing removed, nothing recorded');
});

for (const allowDeps of [false, true]) {
  t.test(`a shared link the worker replaced with a folder of its own is ${allowDeps ? 'kept under governance.allow_deps' : 'put back'}`, async (t) => {
    const fake = 'rm node_modules && mkdir -p node_modules/dep && echo fake > node_modules/dep/index.js && echo fixed >> src/a.txt';
    const { r, verified } = run(t, {
      files: { '.gitignore': 'node_modules/\n', 'check.sh': '#!/bin/sh\ngrep -q real node_modules/dep/index.js && grep -q fixed src/a.txt\n' },
      repoPolicy: { workspace: { share: ['node_modules'] }, governance: { allowed_roots: ['src/**'], allow_deps: allowDeps } },
      before: (repo) => {
        mkdirSync(path.join(repo, 'node_modules', 'dep'), { recursive: true });
        writeFileSync(path.join(repo, 'node_modules', 'dep', 'index.js'), '// real\n');
      },
      spec: { calls: { 'implement#1': { sh: fake } } },
    });
    if (allowDeps) {
      t.not(r.code, 0, 'the verification ran with the worker\'s own dependencies, and failed');
      t.equal(verified[0]?.ignored_removed, undefined);
    } else {
      t.equal(r.code, 0, r.stderr);
      t.same(verified[0]?.ignored_removed, { count: 1, paths: ['node_modules'] });
      t.equal(verified[0]?.pass, true, "the verification ran with the checkout's dependencies");
    }
  });
}

t.test('a command step sees the same tree: the planted file is gone before it runs', async (t) => {
  // The pipeline's lint step is a check too; a planted ignored file must not turn it green.
  const { f, r, events } = runWithLint(t);
  t.not(r.code, 0, r.stderr);
  t.equal(events.find((e) => e.type === 'run.finished')?.stop_reason, 'verification_failed', r.stderr);
  const lint = events.find((e) => e.type === 'command.finished');
  t.same(lint?.ignored_removed, { count: 1, paths: ['build.flag'] });
  t.not(lint?.exit_code, 0);
  t.notOk(existsSync(path.join(f.repo, 'build.flag')), "the user's checkout is untouched");
});

function runWithLint(t: Test) {
  const f = makeIsoFixture({
    spec: { calls: { 'implement#1': { sh: ': > build.flag' } } },
    repoPolicy: { verification: { tiers: { tier0: { commands: ['true'] }, tier1: { commands: ['true'] }, tier2: { commands: ['true'] } }, max_attempts: 1 } },
    files: { 'check.sh': CHECK, '.gitignore': 'build.flag\n' },
  });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  // The default pipeline with a lint step between the implementer and the verification.
  const pipeline = parse(readFileSync(f.pipelineFile, 'utf8'));
  const implement = pipeline.steps.find((s: any) => s.id === 'implement');
  implement.on.done = 'lint';
  implement.on.no_changes_needed = 'lint';
  pipeline.steps.push({ id: 'lint', type: 'command', run: 'sh check.sh', on: { pass: 'verify', fail: { stop: 'verification_failed' } } });
  writeFileSync(f.pipelineFile, stringify(pipeline));
  const r = runRun(f, 'r1', 'off');
  return { f, r, events: readJsonl(path.join(f.repo, '.engine', 'runs', 'r1', 'timeline.jsonl')) };
}
