// test kind: end-to-end (npm run test:e2e): the real claude and codex CLIs through a pipeline's scenario.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startStubModel } from '../../engine/stub/index.js';
import { enginePrompt, makeTempDir, runClaude, runCodex, writeCodexHome } from './helpers/run-cli.js';

const fixtures = path.join('test', 'fixtures', 'scenarios');

t.test('codex works through both milestones of the pipeline scenario in one tree, the retry served by attempt', async (t) => {
  const stub = await startStubModel({ scenarioFile: path.join(fixtures, 'pipeline.scenario.yaml') });
  t.teardown(() => stub.close());
  const home = await makeTempDir('codex-home');
  await writeCodexHome(home, stub.origin);
  const cwd = await makeTempDir('codex-cwd');
  const calls: [string, number][] = [['1', 1], ['2', 1], ['2', 2]];
  for (const [milestone, attempt] of calls) {
    const run = await runCodex({ home, cwd, prompt: enginePrompt({ phase: 'implement', step: 'implement', milestone, attempt }, 'Implement.') });
    t.equal(run.exitCode, 0, `milestone ${milestone} attempt ${attempt}: ${run.stderr}`);
    const commands = run.events
      .filter((e) => e['type'] === 'item.completed' && (e['item'] as { type: string }).type === 'command_execution')
      .map((e) => (e['item'] as { exit_code: number }).exit_code);
    t.ok(commands.every((code) => code === 0), `every command succeeded (m${milestone} a${attempt})`);
  }
  t.equal(await readFile(path.join(cwd, 'test', 'sum.test.js'), 'utf8'), "const assert = require('node:assert');\nconst sum = require('../src/sum.js');\nassert.equal(sum(2, 2), 4);\nassert.equal(sum(-1, 1), 0);\n");
});

t.test('claude: review verdicts by attempt, and a repair in the same session through --resume', async (t) => {
  const stub = await startStubModel({ scenarioFile: path.join(fixtures, 'pipeline.scenario.yaml') });
  t.teardown(() => stub.close());
  const home = await makeTempDir('claude-home');
  const cwd = await makeTempDir('claude-cwd');
  const result = (events: Record<string, unknown>[]) => events.find((e) => e['type'] === 'result')!;
  const first = await runClaude({ origin: stub.origin, home, cwd, prompt: enginePrompt({ phase: 'review', step: 'review', milestone: '2' }, 'Review.') });
  t.match(String(result(first.events)['result']), /"verdict": "request_changes"/);
  const second = await runClaude({ origin: stub.origin, home, cwd, prompt: enginePrompt({ phase: 'review', step: 'review', milestone: '2', attempt: 2 }, 'Review again.') });
  t.match(String(result(second.events)['result']), /"verdict": "approve"/);
  const sessionId = String(result(second.events)['session_id']);
  const repaired = await runClaude({
    origin: stub.origin, home, cwd, args: ['--resume', sessionId],
    prompt: enginePrompt({ phase: 'repair', step: 'implement', milestone: '2', repairOf: 'implement' }, 'Answer with the markers block only.'),
  });
  t.equal(result(repaired.events)['is_error'], false);
  t.equal(result(repaired.events)['session_id'], sessionId, 'the same session continued');
  t.match(String(result(repaired.events)['result']), /"summary": "repeated in the required format"/);
  const last = stub.exchanges.filter((e) => e.route.kind === 'turn').at(-1)!;
  t.equal(last.headers?.phase, 'repair');
  t.equal(last.turnIndex, 0, 'turns are counted from the newest prompt, not the resumed history');
});

t.test('a scripted API error makes the CLI report a failed call', async (t) => {
  const stub = await startStubModel({ scenarioFile: path.join(fixtures, 'api-error.scenario.yaml') });
  t.teardown(() => stub.close());
  const run = await runClaude({ origin: stub.origin, home: await makeTempDir('claude-home'), cwd: await makeTempDir('claude-cwd'), prompt: enginePrompt({ phase: 'implement', step: 'implement', milestone: '1' }, 'Go.') });
  const result = run.events.find((e) => e['type'] === 'result');
  t.equal(result?.['is_error'], true);
  t.match(String(result?.['result']), /the scripted model refuses this call/);
});
