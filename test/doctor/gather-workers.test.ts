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
