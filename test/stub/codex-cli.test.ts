// test kind: end-to-end (npm run test:e2e): the real codex CLI against the scripted model.
import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startStubModel } from '../../engine/stub/index.js';
import { enginePrompt, makeTempDir, runCodex, writeCodexHome } from './helpers/run-cli.js';

const scenarioFile = path.join('test', 'fixtures', 'scenarios', 'tools.scenario.yaml');

async function setUp(t: Test) {
  const stub = await startStubModel({ scenarioFile });
  t.teardown(() => stub.close());
  const home = await makeTempDir('codex-home');
  await writeCodexHome(home, stub.origin);
  return { stub, home, cwd: await makeTempDir('codex-cwd') };
}

t.test('codex writes, edits and runs a command through exec_command, then answers with markers', async (t) => {
  const { stub, home, cwd } = await setUp(t);
  const run = await runCodex({ home, cwd, prompt: enginePrompt({ phase: 'implement', step: 'implement', milestone: '1' }, 'Write hello.') });

  t.equal(run.exitCode, 0, run.stderr);
  t.equal(await readFile(path.join(cwd, 'out', 'hello.txt'), 'utf8'), "hello from the engine's scripted model\n");
  t.equal(await readFile(path.join(cwd, 'out', 'ran.txt'), 'utf8'), "hello from the engine's scripted model\n");
  const items = run.events.filter((e) => e['type'] === 'item.completed').map((e) => e['item'] as Record<string, unknown>);
  t.ok(items.some((i) => i['type'] === 'file_change'), 'the write is a file_change (apply_patch)');
  t.ok(items.some((i) => i['type'] === 'command_execution' && String(i['command']).includes('echo ran-ok') && i['exit_code'] === 0));
  const messages = items.filter((i) => i['type'] === 'agent_message');
  t.match(String(messages.at(-1)?.['text']), /^BEGIN_MARKERS\n\{"status": "done".*\nEND_MARKERS\n$/s);
  t.ok(run.events.some((e) => e['type'] === 'turn.completed'));
  const calls = stub.exchanges.flatMap((e) => (e.reply?.kind === 'message' ? e.reply.calls.map((c) => c.name) : []));
  t.same(calls, ['exec_command', 'exec_command', 'exec_command']);
});

t.test('codex fails a call whose headers the scenario does not cover, naming the scenario file', async (t) => {
  const { stub, home, cwd } = await setUp(t);
  const run = await runCodex({ home, cwd, prompt: enginePrompt({ phase: 'review', step: 'review', milestone: '1' }, 'Review.') });

  t.not(run.exitCode, 0);
  t.ok(run.events.some((e) => e['type'] === 'turn.failed'));
  t.match(run.stdout, 'tools.scenario.yaml');
  t.match(run.stdout, 'engine-phase: review');
  t.ok(stub.exchanges.every((e) => e.route.kind === 'uncovered'));
});

t.test('codex prompts without engine headers get a minimal valid reply', async (t) => {
  const { stub, home, cwd } = await setUp(t);
  const run = await runCodex({ home, cwd, prompt: 'Just say hello.' });

  t.equal(run.exitCode, 0);
  const items = run.events.filter((e) => e['type'] === 'item.completed').map((e) => e['item'] as Record<string, unknown>);
  t.equal(items.filter((i) => i['type'] === 'agent_message').at(-1)?.['text'], 'ok');
  t.ok(stub.exchanges.some((e) => e.route.kind === 'housekeeping'));
});
