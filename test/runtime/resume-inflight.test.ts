import t from 'tap';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { engine, makeFixture, readJsonl } from '../helpers/run-fixture.js';

// state.json names the process group a crashed engine's last step ran in, and resume ends
// that group first. Without the OS sandbox a worker can rewrite state.json: resume killed any
// process group it named — an editor, a database, a build of the user's (found by a hostile
// review). A group is ended only when one of its processes works in the run's workspace.
t.test("resume ends the group state.json names only when it is the run's own", async (t) => {
  const f = makeFixture();
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const first = engine(['run', f.pipelineFile, '--repo', f.repo, '--policy', f.policyFile, '--goal', 'g', '--run-id', 'inf', '--max-ticks', '2', '--no-progress'], { cwd: f.dir });
  t.equal(first.code, 1, first.stderr);
  const victim = spawn('sleep', ['300'], { detached: true, stdio: 'ignore', cwd: f.dir });
  t.teardown(() => {
    try {
      process.kill(-victim.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  const stateFile = path.join(f.repo, '.engine', 'runs', 'inf', 'state.json');
  const state = JSON.parse(readFileSync(stateFile, 'utf8'));
  state.inflight = { pid: victim.pid, pgid: victim.pid, step: 'implement', call: null };
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  const resumed = engine(['resume', 'inf', '--repo', f.repo, '--no-progress'], { cwd: f.dir });
  t.not(resumed.code, 70, resumed.stderr);
  // Killed, it would be a zombie until this process reaps it: its state tells.
  const stat = readFileSync(`/proc/${victim.pid}/stat`, 'utf8');
  t.notMatch(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3), /[ZX]/, "the user's process lives on");
  const ev = readJsonl(path.join(f.repo, '.engine', 'runs', 'inf', 'timeline.jsonl')).find((e) => e.type === 'run.resumed');
  t.equal(ev?.killed_pgid ?? null, null, 'no group recorded as killed');
});

t.test('a state.json or env.json that is not what the engine writes: resume refuses it (exit 2), never exit 70', async (t) => {
  const f = makeFixture();
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const first = engine(['run', f.pipelineFile, '--repo', f.repo, '--policy', f.policyFile, '--goal', 'g', '--run-id', 'shape', '--max-ticks', '2', '--no-progress'], { cwd: f.dir });
  t.equal(first.code, 1, first.stderr);
  const runDir = path.join(f.repo, '.engine', 'runs', 'shape');
  const stateFile = path.join(runDir, 'state.json');
  const envFile = path.join(runDir, 'env.json');
  const state = readFileSync(stateFile, 'utf8');
  const env = readFileSync(envFile, 'utf8');
  const cases: [string, () => void][] = [
    ['counters: null', () => writeFileSync(stateFile, JSON.stringify({ ...JSON.parse(state), counters: null }))],
    ['task: null', () => writeFileSync(stateFile, JSON.stringify({ ...JSON.parse(state), task: null }))],
    ['env.json `{`', () => writeFileSync(envFile, '{')],
  ];
  for (const [what, tamper] of cases) {
    writeFileSync(stateFile, state);
    writeFileSync(envFile, env);
    tamper();
    const r = engine(['resume', 'shape', '--repo', f.repo, '--no-progress'], { cwd: f.dir });
    t.equal(r.code, 2, `${what}: ${r.stderr.slice(-600)}`);
    t.match(r.stderr, /E_RESUME/, what);
  }
});

t.test("a link in the run's config snapshot: resume writes nothing through it", async (t) => {
  // A missing or empty snapshot file is written back from the manifest's copy (a machine
  // crash syncs only the manifest): through a linked folder of config/, that wrote the
  // manifest's text into a folder of the user's (found by a hostile review).
  const f = makeFixture();
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const first = engine(['run', f.pipelineFile, '--repo', f.repo, '--policy', f.policyFile, '--goal', 'g', '--run-id', 'cfg', '--max-ticks', '2', '--no-progress'], { cwd: f.dir });
  t.equal(first.code, 1, first.stderr);
  const config = path.join(f.repo, '.engine', 'runs', 'cfg', 'config');
  const userDir = path.join(f.dir, 'userdir');
  mkdirSync(userDir);
  symlinkSync(userDir, path.join(config, 'evil'));
  const manifestFile = path.join(config, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  const text = '#!/bin/sh\necho planted\n';
  manifest.entries.push({ file: 'evil/planted.sh', role: 'template', source: 'engine', origin: '/nonexistent/planted.md', sha256: `sha256:${createHash('sha256').update(text).digest('hex')}` });
  manifest.contents = { ...manifest.contents, 'evil/planted.sh': text };
  writeFileSync(manifestFile, JSON.stringify(manifest));
  const r = engine(['resume', 'cfg', '--repo', f.repo, '--no-progress'], { cwd: f.dir });
  t.not(r.code, 70, r.stderr);
  t.same(readdirSync(userDir), [], 'nothing written into the folder the link names');
});
