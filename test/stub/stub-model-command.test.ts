import t from 'tap';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';
import { makeTempDir } from './helpers/run-cli.js';

t.test('engine stub-model prints the origin, serves the scenario, logs exchanges, stops on SIGTERM', async (t) => {
  const dir = await makeTempDir('stub-cmd');
  const logFile = path.join(dir, 'exchanges.jsonl');
  const io = memoryIo();
  const done = main(['stub-model', '--scenario', 'test/fixtures/scenarios/tools.scenario.yaml', '--log', logFile], io);
  while (io.out.length === 0) await new Promise((r) => setTimeout(r, 20));
  const origin = io.out.join('').trim();
  t.match(origin, /^http:\/\/127\.0\.0\.1:\d+$/);
  const res = await fetch(`${origin}/v1/messages`, {
    method: 'POST',
    body: JSON.stringify({ messages: [{ role: 'user', content: 'engine-phase: plan\nengine-step: plan' }] }),
  });
  t.equal(res.status, 200);
  t.match(((await res.json()) as { content: { text: string }[] }).content[0]!.text, /BEGIN_MARKERS/);
  process.emit('SIGTERM');
  t.equal(await done, 0);
  const logged = (await readFile(logFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  t.equal(logged.length, 1);
  t.equal(logged[0].route.kind, 'turn');
  t.match(io.err.join(''), /1 POST \/v1\/messages 200 turn \(engine-phase: plan, engine-step: plan, turn 1\)/);
});

t.test('engine stub-model: a bad scenario is exit 2 with positioned diagnostics; missing --scenario is a usage error', async (t) => {
  const dir = await makeTempDir('stub-cmd');
  const bad = path.join(dir, 'bad.scenario.yaml');
  await (await import('node:fs/promises')).writeFile(bad, 'apiVersion: engine/v1\nkind: Scenario\nname: bad\nreplies:\n  - phase: plan\n    turns:\n      - txt: hi\n');
  const io = memoryIo();
  t.equal(await main(['stub-model', '--scenario', bad], io), 2);
  t.match(io.err.join(''), /bad\.scenario\.yaml:7:\d+: error E_UNKNOWN_KEY/);
  const io2 = memoryIo();
  t.equal(await main(['stub-model'], io2), 2);
  t.match(io2.err.join(''), /E_USAGE --scenario FILE is required/);
  const io3 = memoryIo();
  t.equal(await main(['stub-model', '--scenario', path.join(dir, 'missing.yaml')], io3), 2);
  t.match(io3.err.join(''), /E_FILE/);
});

t.test('engine stub-model: a --log it cannot write is refused before it serves; one that fails later is said once, serving goes on', async (t) => {
  const fs = await import('node:fs/promises');
  const dir = await makeTempDir('stub-cmd');
  const io = memoryIo();
  t.equal(await main(['stub-model', '--scenario', 'test/fixtures/scenarios/tools.scenario.yaml', '--log', path.join(dir, 'no-such-dir', 'x.jsonl')], io), 2);
  t.match(io.err.join(''), /E_USAGE --log .*no-such-dir\/x\.jsonl cannot be written \(ENOENT/);
  t.equal(io.out.join(''), '', 'no origin printed: nothing was served');

  // Writable at the start, then not: the first failed append is said on stderr, once.
  const logFile = path.join(dir, 'later.jsonl');
  const io2 = memoryIo();
  const done = main(['stub-model', '--scenario', 'test/fixtures/scenarios/tools.scenario.yaml', '--log', logFile], io2);
  while (io2.out.length === 0) await new Promise((r) => setTimeout(r, 20));
  const origin = io2.out.join('').trim();
  await fs.rm(logFile, { force: true });
  await fs.mkdir(logFile);
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${origin}/v1/messages`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'engine-phase: plan\nengine-step: plan' }] }) });
    t.equal(res.status, 200, 'the model still answers');
    await res.text();
  }
  process.emit('SIGTERM');
  t.equal(await done, 0);
  const said = io2.err.join('').split('\n').filter((l) => l.includes('cannot append'));
  t.equal(said.length, 1, `one warning: ${said.join(' | ')}`);
  t.match(said[0], /engine stub-model: --log .*later\.jsonl: cannot append the exchanges \(EISDIR/);
});
