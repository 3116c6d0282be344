import t from 'tap';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { makeFixture } from '../helpers/run-fixture.js';
import { spawnEngine } from '../e2e/helpers/spawn-engine.js';
import { startStubModel } from '../../engine/stub/index.js';

// `engine doctor --live`: one probe per distinct worker through the real adapters — the
// pinned claude and codex CLIs against the engine's scripted model, and a command worker.
const scenarios = path.resolve(import.meta.dirname, '..', 'fixtures', 'scenarios');
const probeAnswer = path.resolve(import.meta.dirname, '..', 'fixtures', 'workers', 'probe-answer.mjs');

async function doctorAgainst(t: { teardown(fn: () => void): void }, scenario: string) {
  const stub = await startStubModel({ scenarioFile: path.join(scenarios, scenario) });
  t.teardown(() => void stub.close());
  const claude = { use: 'claude', model_endpoint: stub.origin, timeout_s: 120 };
  const f = makeFixture({ pipeline: (p) => (p.workers = { planner: claude, reviewer: claude, implementer: { use: 'codex', model_endpoint: stub.origin, timeout_s: 120 } }) });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const r = await spawnEngine(['doctor', f.pipelineFile, '--repo', f.repo, '--live', '--json'], { cwd: f.dir });
  return { r, stub, f, doc: JSON.parse(r.stdout || '{}') };
}

const byId = (doc: any): Record<string, any> => Object.fromEntries((doc.checks ?? []).map((c: any) => [c.id, c]));

t.test('claude and codex answering with the markers block only: the probes pass', async (t) => {
  const { r, stub, f, doc } = await doctorAgainst(t, 'probe-only.scenario.yaml');
  t.equal(r.code, 0, r.stdout + r.stderr);
  const checks = byId(doc);
  t.match(checks['probe.planner'], { status: 'ok', message: /worker planner, reviewer: probe answered with the markers block only \(dialect claude-stream-json\)/ });
  t.match(checks['probe.implementer'], { status: 'ok', message: /dialect codex-exec-json/ });
  t.notOk(checks['probe.reviewer'], 'workers with the same spec are probed once');
  const probes = stub.exchanges.filter((e) => e.headers?.phase === 'probe');
  t.equal(probes.length, 2, 'one scripted request per distinct worker');
  t.equal(doc.probe_dir, null, 'transcripts of passing probes are not kept');
  t.notOk(existsSync(path.join(f.repo, '.engine', 'runs')), 'no run was created');
});

t.test('prose around the block: marker-only compliance fails and blocks, with the excerpt', async (t) => {
  const { r, doc } = await doctorAgainst(t, 'probe-prose.scenario.yaml');
  t.equal(r.code, 4, r.stdout + r.stderr);
  const checks = byId(doc);
  for (const id of ['probe.planner', 'probe.implementer']) {
    t.match(checks[id], { status: 'block', message: /marker-only compliance failed: the final answer has text outside the markers block/, hint: /only the BEGIN_MARKERS … END_MARKERS block/ }, id);
    t.match(checks[id].details, [/^answer: "Sure! Here is the block you asked for: Let me know if you need anything else\."$/], `${id}: the offending text`);
  }
  t.type(doc.probe_dir, 'string', 'the transcripts are kept');
  const calls = readdirSync(path.join(doc.probe_dir, 'calls')).sort();
  t.same(calls, ['0001-probe-implementer', '0002-probe-planner']);
  t.match(readFileSync(path.join(doc.probe_dir, 'calls', calls[1]!, 'prompt.md'), 'utf8'), /^engine-phase: probe\nengine-contract: 1\nengine-step: probe\n/);
  rmSync(doc.probe_dir, { recursive: true, force: true });
});

t.test('a command worker is probed through its adapter too', async (t) => {
  const worker = (mode: string) => ({ use: 'command', bin: process.execPath, args: [probeAnswer, mode] });
  const f = makeFixture({ pipeline: (p) => (p.workers = { planner: worker('only'), implementer: worker('prose'), reviewer: worker('fail') }) });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const r = await spawnEngine(['doctor', f.pipelineFile, '--repo', f.repo, '--live'], { cwd: f.dir });
  t.equal(r.code, 4, r.stdout + r.stderr);
  t.match(r.stdout, /^ok +probe\.planner +worker planner: probe answered with the markers block only \(dialect command-text\)$/m);
  t.match(r.stdout, /^block +probe\.implementer +worker implementer: marker-only compliance failed/m);
  t.match(r.stdout, /^ +answer: "I read the prompt\. Done\."$/m);
  t.match(r.stdout, /^block +probe\.reviewer +worker reviewer: the probe call failed \(failed/m);
  // The hint names this doctor's own pipeline and repo: a bare `engine doctor --live` probes the repo's .engine/pipeline.yaml.
  t.ok(r.stdout.replace(/\s+/g, ' ').includes(` doctor ${f.pipelineFile} --repo ${f.repo} --live\` again`), 'the hint probes the same pipeline again');
  const dir = /the transcript is in (\S+)\/calls\//.exec(r.stdout)?.[1];
  t.ok(dir && existsSync(dir), 'the kept transcripts are named');
  if (dir) rmSync(dir, { recursive: true, force: true });
});
