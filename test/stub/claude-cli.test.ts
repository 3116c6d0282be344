// test kind: end-to-end (npm run test:e2e): the real claude CLI against the scripted model.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startStubModel } from '../../engine/stub/index.js';
import { enginePrompt, makeTempDir, runClaude } from './helpers/run-cli.js';

const scenarioFile = path.join('test', 'fixtures', 'scenarios', 'tools.scenario.yaml');

t.test('claude writes, edits and runs a command through its own tools, then answers with markers', async (t) => {
  const stub = await startStubModel({ scenarioFile });
  t.teardown(() => stub.close());
  const cwd = await makeTempDir('claude-cwd');
  const home = await makeTempDir('claude-home');
  const run = await runClaude({ origin: stub.origin, home, cwd, prompt: enginePrompt({ phase: 'implement', step: 'implement', milestone: '1' }, 'Write hello.') });

  t.equal(run.exitCode, 0, run.stderr);
  t.equal(await readFile(path.join(cwd, 'out', 'hello.txt'), 'utf8'), "hello from the engine's scripted model\n", 'Write then Edit applied');
  t.equal(await readFile(path.join(cwd, 'out', 'ran.txt'), 'utf8'), "hello from the engine's scripted model\n", 'Bash ran');
  const result = run.events.find((e) => e['type'] === 'result');
  t.equal(result?.['is_error'], false);
  t.match(String(result?.['result']), /^BEGIN_MARKERS\n\{"status": "done".*\nEND_MARKERS\n$/s);
  const tools = stub.exchanges.flatMap((e) => (e.reply?.kind === 'message' ? e.reply.calls.map((c) => c.name) : []));
  t.same(tools, ['Write', 'Edit', 'Bash']);
  const routed = stub.exchanges.filter((e) => e.route.kind === 'turn').map((e) => e.turnIndex);
  t.same(routed, [0, 1, 2, 3], 'one request per scripted turn, in order');
});

t.test('claude fails a call whose headers the scenario does not cover, naming the scenario file', async (t) => {
  const stub = await startStubModel({ scenarioFile });
  t.teardown(() => stub.close());
  const cwd = await makeTempDir('claude-cwd');
  const run = await runClaude({ origin: stub.origin, home: await makeTempDir('claude-home'), cwd, prompt: enginePrompt({ phase: 'review', step: 'review', milestone: '1' }, 'Review.') });

  const result = run.events.find((e) => e['type'] === 'result');
  t.equal(result?.['is_error'], true, 'the result line reports the failure');
  t.match(run.stdout, 'tools.scenario.yaml');
  t.match(run.stdout, 'engine-phase: review');
  t.ok(stub.exchanges.some((e) => e.route.kind === 'uncovered' && e.status === 400));
});

t.test('claude prompts without engine headers get a minimal valid reply', async (t) => {
  const stub = await startStubModel({ scenarioFile });
  t.teardown(() => stub.close());
  const run = await runClaude({ origin: stub.origin, home: await makeTempDir('claude-home'), cwd: await makeTempDir('claude-cwd'), prompt: 'Just say hello.' });

  t.equal(run.exitCode, 0);
  const result = run.events.find((e) => e['type'] === 'result');
  t.equal(result?.['is_error'], false);
  t.equal(result?.['result'], 'ok');
  t.ok(stub.exchanges.some((e) => e.route.kind === 'housekeeping'));
});
