import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeFixture, engineBin, bareNode, childEnv } from '../helpers/run-fixture.js';

// A SIGTERM or Ctrl-C before a command had handlers of its own (a run's come once its options
// are read; validate, report and clean have none) ended the process by the signal's default:
// exit 143 and no word, where the contract gives an interrupt 130. Here the command is held
// at a known point: `validate` importing a worker plugin whose module waits.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`a ${signal} before the command has handlers of its own: exit 130, and a word`, async (t) => {
    const f = makeFixture({ pipeline: (p) => (p.workers.reviewer = { use: './slow-plugin.mjs' }) });
    const ready = path.join(f.dir, 'importing');
    writeFileSync(path.join(f.dir, 'slow-plugin.mjs'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(ready)}, '');\nawait new Promise((r) => setTimeout(r, 30000));\nexport default {};\n`);
    const child = spawn('/usr/bin/env', [...bareNode, engineBin, 'validate', f.pipelineFile], { cwd: f.dir, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig })));
    for (let i = 0; i < 300 && !existsSync(ready); i++) await sleep(50);
    t.ok(existsSync(ready), 'the command is importing the plugin');
    child.kill(signal);
    const r = await ended;
    t.same(r, { code: 130, signal: null }, stderr);
    t.equal(stderr, `engine: interrupted (${signal})\n`);
  });
}
