import t from 'tap';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { engine, makeFixture } from '../helpers/run-fixture.js';

// A worker's `bin` given relative (`./tools/agent.sh`): the doctor looked for it in the user's
// checkout, the run started it in the workspace. A script only in the checkout passed the
// doctor and failed every call; one committed ran the workspace's copy, which the implementer
// can rewrite: the next call (the reviewer's) ran what the implementer wrote.
t.test("a relative bin is the user's checkout's file, for the doctor and for every call", async (t) => {
  const f = makeFixture({
    script: {
      plan: [{ id: 'm1', goal: 'write a', files_expected: ['src/a.txt'] }],
      implement: { '1': { 'src/a.txt': 'alpha\n' } },
      // The implementer rewrites the agent in its workspace.
      writes: { 'implement#1#1': { 'tools/agent.sh': '#!/bin/sh\necho HIJACKED\n' } },
    },
    pipeline: (p) => {
      for (const w of Object.values(p.workers) as Record<string, unknown>[]) {
        w.args = [];
        w.bin = './tools/agent.sh';
      }
    },
    policy: { governance: { allowed_roots: ['src/**', 'tools/**'] } },
  });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const agentCjs = path.resolve('test/fixtures/workers/scripted-agent.cjs');
  mkdirSync(path.join(f.repo, 'tools'));
  writeFileSync(path.join(f.repo, 'tools', 'agent.sh'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(agentCjs)} "$@"\n`);
  chmodSync(path.join(f.repo, 'tools', 'agent.sh'), 0o755);
  f.git('add', '.');
  f.git('commit', '-q', '-m', 'the agent');
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--policy', f.policyFile, '--goal', 'g', '--run-id', 'rel', '--no-progress'], { cwd: f.dir, env: { AGENT_SCRIPT: f.scriptFile } });
  t.equal(r.code, 0, r.stdout + r.stderr);
  const calls = path.join(f.repo, '.engine', 'runs', 'rel', 'calls');
  const names = readdirSync(calls).sort();
  t.ok(names.some((n) => n.includes('review')), `the reviewer was called (${names.join(', ')})`);
  for (const name of names) {
    const meta = JSON.parse(readFileSync(path.join(calls, name, 'meta.json'), 'utf8'));
    t.equal(meta.bin, path.join(f.repo, 'tools', 'agent.sh'), `${name} ran the checkout's agent`);
    t.notMatch(readFileSync(path.join(calls, name, 'stdout.log'), 'utf8'), /HIJACKED/, `${name} did not run the workspace's copy`);
  }
});

t.test('a relative bin only in the checkout (not committed): the doctor and the run agree', async (t) => {
  const f = makeFixture({
    pipeline: (p) => {
      for (const w of Object.values(p.workers) as Record<string, unknown>[]) {
        w.args = [];
        w.bin = './agent.sh';
      }
    },
  });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const agentCjs = path.resolve('test/fixtures/workers/scripted-agent.cjs');
  writeFileSync(path.join(f.repo, 'agent.sh'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(agentCjs)} "$@"\n`);
  chmodSync(path.join(f.repo, 'agent.sh'), 0o755);
  const doctor = engine(['doctor', f.pipelineFile, '--repo', f.repo], { cwd: f.dir, env: { AGENT_SCRIPT: f.scriptFile } });
  t.match(`${doctor.stdout}${doctor.stderr}`, /ok +worker\.planner/, `${doctor.stdout}${doctor.stderr}`);
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--policy', f.policyFile, '--goal', 'g', '--run-id', 'untracked', '--no-progress'], { cwd: f.dir, env: { AGENT_SCRIPT: f.scriptFile } });
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.ok(existsSync(path.join(f.repo, '.engine', 'runs', 'untracked', 'summary.md')));
});

// A new user's probe: a script beside .engine/pipeline.yaml named `bin: ./agent.sh` (as `use:`
// paths are, relative to the pipeline) was "not found", naming neither where it was looked for
// nor why. The doctor (and the run's preflight, which says the same) now say both.
t.test('a relative bin that is not in the checkout: where it was looked for, and the file beside the pipeline', async (t) => {
  const f = makeFixture({ pipeline: (p) => (p.workers.planner = { use: 'command', bin: './agent.sh' }) });
  writeFileSync(path.join(f.dir, 'agent.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  const d = engine(['doctor', f.pipelineFile, '--repo', f.repo], { cwd: f.dir });
  t.equal(d.code, 4, d.stdout + d.stderr);
  t.match(d.stdout, new RegExp(`worker\\.planner +worker planner \\(command\\): bin \\./agent\\.sh not found \\(looked for ${f.repo}/agent\\.sh: a relative bin is relative to the repository's top, not to the pipeline file\\)`));
  t.match(d.stdout, new RegExp(`hint: there is one beside the pipeline, ${f.dir}/agent\\.sh`));
});
