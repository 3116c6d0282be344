// test cost: about 55 s: the real claude and codex, recorded and replayed, four runs (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import Ajv from 'ajv';
import path from 'node:path';
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { readJsonl } from '../helpers/run-fixture.js';
import { packageRoot } from '../../engine/paths.js';
import { initRepo, scratchBase, spawnEngine } from './helpers/spawn-engine.js';

// The golden ambiguous bootstrap recorded through the real claude and codex CLIs (engine run
// --record), then replayed three times into fresh repos under other run ids with no scripted
// model at all: the replay server is the only thing the CLIs can reach. Each replay must
// recreate the same file changes: same markers, planned paths, test outcomes, checkpoint trees.
const golden = path.join(packageRoot, 'tasks/golden');
const policy = path.join(golden, 'ambiguous-bootstrap.policy.yaml');
const pipeline = path.join(packageRoot, 'pipelines/default.pipeline.yaml');
const clock = { ENGINE_FAKE_CLOCK: '2026-01-02T03:04:05.000Z' };

/** The engine's environment: the fixed clock, and a secret that must never reach the recording. */
function engineEnv(): NodeJS.ProcessEnv {
  return { ...clock, ENGINE_TEST_SECRET_TOKEN: 'sk-engine-test-secret-0123456789' };
}

interface Facts {
  finished: any;
  traffic: any;
  planned: string[][];
  tests: unknown[];
  trees: string[];
  markers: (string | null)[];
  calls: unknown[];
}

function factsOf(repo: string, runId: string): Facts {
  const runDir = path.join(repo, '.engine', 'runs', runId);
  const events = readJsonl(path.join(runDir, 'timeline.jsonl'));
  const calls = readdirSync(path.join(runDir, 'calls')).sort();
  return {
    finished: events.find((e) => e.type === 'run.finished'),
    traffic: events.find((e) => e.type === 'run.started')?.model_traffic,
    planned: events.find((e) => e.type === 'plan.accepted')?.milestones.map((m: any) => m.files_expected),
    tests: events.filter((e) => e.type === 'verify.finished').map((e) => [e.tier, e.pass, e.commands.map((c: any) => [c.command, c.exit_code, c.timed_out])]),
    trees: events.filter((e) => e.type === 'checkpoint.created').map((e) => e.tree),
    markers: calls.map((c) => (existsSync(path.join(runDir, 'calls', c, 'markers.json')) ? readFileSync(path.join(runDir, 'calls', c, 'markers.json'), 'utf8') : null)),
    calls: events.filter((e) => e.type === 'worker.finished').map((e) => [e.step, e.worker, e.outcome, e.markers_ok]),
  };
}

t.test('a recorded golden run replays three times with the same markers, paths, tests and trees, and no model', async (t) => {
  const base = scratchBase(t, 'record-replay');
  const env = engineEnv();
  const task = path.join(golden, 'ambiguous-bootstrap.task.yaml');
  const recRepo = initRepo(path.join(base, 'recorded'));
  const rec = await spawnEngine(['run', pipeline, '--repo', recRepo, '--task', task, '--policy', policy, '--run-id', 'recorded', '--record', '--no-progress'], { cwd: base, env });
  t.equal(rec.code, 0, `the recording run completes\n${rec.stdout.slice(0, 600)}${rec.stderr}`);
  const recDir = path.join(recRepo, '.engine', 'runs', 'recorded');
  const recorded = factsOf(recRepo, 'recorded');
  t.match(recorded.traffic, { mode: 'record', file: path.join(recDir, 'model-recording.jsonl'), upstream: /^http:\/\/127\.0\.0\.1:\d+$/ });
  t.equal(recorded.planned.length, 3, 'three milestones planned');
  t.equal(new Set(recorded.trees).size, 3, 'three checkpoints');

  // What is stored: the header, one line per exchange, no credential and no secret value.
  const file = path.join(recDir, 'model-recording.jsonl');
  const text = readFileSync(file, 'utf8');
  const lines = readJsonl(file);
  t.match(lines[0], { type: 'recording', schema_version: 1, run_id: 'recorded' });
  const validateLine = new Ajv.default({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(path.join(packageRoot, 'schemas/model-recording.schema.json'), 'utf8')));
  t.ok(lines.every((l) => validateLine(l)), `every line matches schemas/model-recording.schema.json ${JSON.stringify(validateLine.errors)}`);
  const exchanges = lines.slice(1);
  t.ok(exchanges.some((e) => e.request.path.startsWith('/v1/messages')) && exchanges.some((e) => e.request.path === '/v1/responses'), 'both CLIs went through the proxy');
  t.ok(exchanges.some((e) => e.response.headers['content-type']?.startsWith('text/event-stream') && e.response.body.includes('event: ')), 'streams are kept as streams');
  t.notOk(/engine-dummy-(anthropic|openai)-key/.test(text), "the CLIs' keys are not stored");
  t.notOk(text.includes('sk-engine-test-secret'), 'no secret value is stored');
  t.ok(exchanges.filter((e) => e.request.headers['x-api-key'] || e.request.headers['authorization']).every((e) => (e.request.headers['x-api-key'] ?? e.request.headers['authorization']) === '[REDACTED]'), 'credential headers are redacted');
  t.notOk(text.includes(recRepo), 'run-specific paths are stored as placeholders');
  const implement = exchanges.filter((e) => e.worker === 'implementer').map((e) => e.key);
  t.same([...new Set(implement)], [1, 2, 3].map((m) => `step implement milestone ${m} attempt 1`), 'exchanges are keyed by step, milestone and attempt');

  // The recording alone: copied apart, the run store of the recording removed from reach of the
  // task, the scenario gone. Replay 1 names it in the task (`replay:`), 2 and 3 pass --replay.
  const tape = path.join(base, 'tape.jsonl');
  copyFileSync(file, tape);
  const replayTask = path.join(base, 'replay.task.yaml');
  writeFileSync(replayTask, readFileSync(task, 'utf8').replace(/^scenario: .*$/m, 'replay: tape.jsonl'));
  t.notOk(/^scenario:/m.test(readFileSync(replayTask, 'utf8')), 'the replay task has no scenario');
  const replays = await Promise.all(
    [1, 2, 3].map(async (n) => {
      const repo = initRepo(path.join(base, `replay-${n}`));
      const from = n === 1 ? [] : ['--replay', n === 2 ? tape : recDir];
      const r = await spawnEngine(['run', pipeline, '--repo', repo, '--task', replayTask, '--policy', policy, '--run-id', `replay-${n}`, ...from, '--no-progress'], { cwd: base, env });
      t.equal(r.code, 0, `replay ${n} completes\n${r.stdout.slice(0, 600)}${r.stderr}`);
      const runDir = path.join(repo, '.engine', 'runs', `replay-${n}`);
      t.notOk(existsSync(path.join(runDir, 'model-exchanges.jsonl')), `replay ${n}: no scripted model was started`);
      const mismatches = path.join(runDir, 'replay-mismatches.jsonl');
      t.notOk(existsSync(mismatches), `replay ${n}: every request matched\n${existsSync(mismatches) ? readFileSync(mismatches, 'utf8') : ''}`);
      return factsOf(repo, `replay-${n}`);
    }),
  );
  for (const [i, r] of replays.entries()) {
    t.match(r.finished, { status: 'completed', stop_reason: 'completed', exit_code: 0 }, `replay ${i + 1} completed`);
    t.match(r.traffic, { mode: 'replay', upstream: null });
    t.same(r.markers, recorded.markers, `replay ${i + 1}: same markers`);
    t.same(r.planned, recorded.planned, `replay ${i + 1}: same planned paths`);
    t.same(r.tests, recorded.tests, `replay ${i + 1}: same test outcomes`);
    t.same(r.trees, recorded.trees, `replay ${i + 1}: same checkpoint trees`);
    t.same(r.calls, recorded.calls, `replay ${i + 1}: same worker calls`);
  }

  // Hostile: the task changed since the recording. The first request that differs is refused,
  // named by its field, and the run stops worker_failed; nothing is served for it.
  const changed = path.join(base, 'changed.task.yaml');
  writeFileSync(changed, readFileSync(replayTask, 'utf8').replace(/^goal: .*$/m, 'goal: A small tool that counts words only.'));
  const repo = initRepo(path.join(base, 'replay-changed'));
  const r = await spawnEngine(['run', pipeline, '--repo', repo, '--task', changed, '--policy', policy, '--run-id', 'changed', '--no-progress'], { cwd: base, env });
  t.equal(r.code, 1, 'a stopped run');
  const runDir = path.join(repo, '.engine', 'runs', 'changed');
  const events = readJsonl(path.join(runDir, 'timeline.jsonl'));
  t.match(events.find((e) => e.type === 'run.finished'), { stop_reason: 'worker_failed' });
  const failed = events.find((e) => e.type === 'worker.finished');
  t.match(failed, { step: 'explore', outcome: 'failed' });
  t.match(failed.error, /engine replay: request #1 for step explore milestone - attempt 1 does not match the recording at \/messages\/\d+\/content/);
  t.match(failed.error, /counts words only/, 'the message shows what the request says now');
  const mismatches = readJsonl(path.join(runDir, 'replay-mismatches.jsonl'));
  t.equal(mismatches.length, 1, 'one refused request, logged in the run');
  t.match(mismatches[0], { key: 'step explore milestone - attempt 1', index: 0, field: /^\/messages\/\d+\/content/ });
});

t.test('bad replay and record input is refused before a run is made', async (t) => {
  const base = scratchBase(t, 'record-replay-bad');
  const env = engineEnv();
  const task = path.join(golden, 'ambiguous-bootstrap.task.yaml');
  const repo = initRepo(path.join(base, 'repo'));
  const forged = path.join(base, 'forged.jsonl');
  writeFileSync(forged, `${JSON.stringify({ type: 'recording', schema_version: 1, engine_version: '0', run_id: 'x', upstream: 'http://127.0.0.1:1', placeholders: [] })}\n${JSON.stringify({ type: 'exchange', seq: 1, key: 'k' })}\n`);
  const cases: [string, string[], RegExp][] = [
    ['a missing recording', ['--task', task, '--replay', path.join(base, 'nope')], /no recording at .*nope/],
    ['a file that is not a recording', ['--task', task, '--replay', policy], /not a JSON line|not a recording header/],
    ['a recording line of the wrong shape', ['--task', task, '--replay', forged], /forged\.jsonl:2: not a recording line \(schemas\/model-recording\.schema\.json\)/],
    ['record and replay at once', ['--task', task, '--record', '--replay', base], /not both/],
    ['record without a scenario or endpoint', ['--goal', 'g', '--record'], /needs a scenario or a model_endpoint on every claude\/codex worker; planner, implementer, reviewer has none/],
  ];
  for (const [name, args, message] of cases) {
    const r = await spawnEngine(['run', pipeline, '--repo', repo, '--policy', policy, '--no-progress', ...args], { cwd: base, env });
    t.equal(r.code, 2, `${name}: exit 2`);
    t.match(r.stderr, message, name);
  }
  t.notOk(existsSync(path.join(repo, '.engine', 'runs')) && readdirSync(path.join(repo, '.engine', 'runs')).some((n) => !n.startsWith('.')), 'no run was created');
});
