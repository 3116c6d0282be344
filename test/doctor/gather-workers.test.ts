import t from 'tap';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CompiledPipeline } from '../../engine/compile/ir.js';
import { gatherWorkerFacts } from '../../engine/doctor/check-workers.js';

/** A fake CLI that logs every start and answers --version with `version`. */
function fakeCli(dir: string, name: string, version: string, log: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> '${log}'\necho 'codex-cli ${version}'\n`);
  chmodSync(file, 0o755);
  return file;
}

t.test('gatherWorkerFacts: a CLI several workers share is asked its version once, each other CLI once, a command never', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-gather-workers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'starts.log');
  const shared = fakeCli(dir, 'shared-cli', '0.169.0', log);
  const other = fakeCli(dir, 'other-cli', '0.170.1', log);
  const ir = {
    workers: {
      reviewer: { use: 'codex', bin: shared },
      planner: { use: 'codex', bin: shared },
      implementer: { use: 'codex', bin: other },
      helper: { use: 'command', bin: shared },
      broken: { use: 'codex', bin: path.join(dir, 'missing-cli') },
    },
  } as unknown as CompiledPipeline;
  const facts = await gatherWorkerFacts(ir, dir, process.env, dir);
  t.strictSame(
    facts.map((f) => [f.name, f.version, f.binPath !== null]),
    [
      ['broken', null, false],
      ['helper', null, true],
      ['implementer', '0.170.1', true],
      ['planner', '0.169.0', true],
      ['reviewer', '0.169.0', true],
    ],
    'facts in name order, each with the version of its own CLI',
  );
  const starts = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').sort() : [];
  t.strictSame(starts, ['other-cli --version', 'shared-cli --version'], 'one --version per distinct CLI, none for the command worker');
});

t.test("an argument naming a file of the repo by a relative path is read from the workspace: the doctor warns", async (t) => {
  // `bin: node, args: [tools/agent.mjs]` runs the workspace's copy of the script, which a
  // worker can rewrite for the calls after its own (a relative `bin` is the checkout's own).
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-gather-args-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'agent.mjs'), '');
  const ir = {
    workers: {
      risky: { use: 'command', bin: process.execPath, args: ['--no-warnings', './agent.mjs'] },
      fine: { use: 'command', bin: process.execPath, args: [path.join(dir, 'agent.mjs'), 'plan', '--flag=agent.mjs', 'a\u0000b'] },
    },
  } as unknown as CompiledPipeline;
  const facts = await gatherWorkerFacts(ir, dir, process.env, dir);
  const { judgeWorker } = await import('../../engine/doctor/check-workers.js');
  const [fine, risky] = facts.map((f) => judgeWorker(f));
  t.equal(fine!.status, 'ok', fine!.message);
  t.match(risky, {
    id: 'worker.risky',
    status: 'warn',
    message: /argument \.\/agent\.mjs is a file of the repo read from the workspace, where a worker can rewrite it for the calls after its own/,
    hint: /give its absolute path, or make it the worker's `bin` \(a relative bin is the checkout's own file\)/,
  });
});
