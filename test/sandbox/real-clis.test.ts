// test cost: about 8 s: the real CLIs under the OS sandbox (scripts/group-tests.mjs starts the long files first).
// test kind: end-to-end (npm run test:e2e): the real claude and codex CLIs under the OS sandbox.
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startStubModel } from '../../engine/stub/index.js';
import { runWorkerCall } from '../../engine/workers/run-worker-call.js';
import { codexWorker } from '../../engine/workers/codex-worker.js';
import { claudeWorker } from '../../engine/workers/claude-worker.js';
import type { WorkerPlugin } from '../../engine/workers/types.js';
import { probeBwrap } from '../../engine/sandbox/probe-bwrap.js';
import { decideSandbox } from '../../engine/sandbox/sandbox-status.js';
import { makeCtx, cleanEnv, makeTempDir } from '../fixtures/workers/make-ctx.js';
import { pathWithoutBwrap } from '../helpers/hide-bwrap.js';
import { makeTempDir as makeCliDir, runCodex, writeCodexHome, enginePrompt } from '../stub/helpers/run-cli.js';

// The real codex and claude write a file through the scripted model: inside the engine's
// bubblewrap sandbox, with the sandbox off while bwrap is on PATH, and with no bwrap at all.
// Workspaces and homes are under the system temp dir, the worst case (codex's PATH aliases).
const bwrap = probeBwrap(process.env);
const skip = bwrap.ok ? false : `bubblewrap does not work here (${bwrap.error}): install it (apt-get install bubblewrap) to run the sandbox tests`;
const scenarioFile = path.join('test', 'fixtures', 'scenarios', 'tools.scenario.yaml');

type Setup = 'engine sandbox on' | 'engine sandbox off, bwrap on PATH' | 'engine sandbox off, no bwrap on PATH';

async function callThrough(t: Test, plugin: WorkerPlugin, setup: Setup) {
  const stub = await startStubModel({ scenarioFile });
  t.teardown(() => stub.close());
  const on = setup === 'engine sandbox on';
  const baseEnv = cleanEnv();
  if (setup === 'engine sandbox off, no bwrap on PATH') baseEnv.PATH = pathWithoutBwrap(baseEnv.PATH);
  const ctx = makeCtx({ use: plugin.name as 'codex' | 'claude', model_endpoint: stub.origin, model: plugin.name === 'codex' ? 'engine-scripted' : undefined }, { sandboxed: on, baseEnv });
  mkdirSync(ctx.homeDir, { recursive: true });
  const sandbox = decideSandbox({ mode: on ? 'bwrap' : 'off', writable: [] }, on ? probeBwrap(baseEnv) : null);
  const r = await runWorkerCall({ plugin, ctx, sandbox, callDir: path.join(makeTempDir(), 'call'), idleTimeoutMs: 120_000, timeoutMs: 240_000, cliVersion: null });
  const stderr = readFileSync(path.join(r.callDir, 'stderr.log'), 'utf8');
  return { r, ctx, stderr };
}

for (const plugin of [codexWorker, claudeWorker]) {
  for (const setup of ['engine sandbox on', 'engine sandbox off, bwrap on PATH', 'engine sandbox off, no bwrap on PATH'] as Setup[]) {
    t.test(`${plugin.name}, ${setup}: the write lands in the workspace`, { skip }, async (t) => {
      const { r, ctx, stderr } = await callThrough(t, plugin, setup);
      t.equal(r.outcome, 'ok', `${r.meta.error ?? ''}\n${stderr}`);
      t.equal(r.meta.sandboxed, setup === 'engine sandbox on');
      t.equal(readFileSync(path.join(ctx.cwd, 'out', 'hello.txt'), 'utf8'), "hello from the engine's scripted model\n", stderr);
      t.ok(existsSync(path.join(ctx.cwd, 'out', 'ran.txt')), 'its shell command wrote too');
      t.match(r.markers, { status: 'done' });
      t.notMatch(stderr, /Failed to write file|Read-only file system/);
      if (plugin.name === 'codex') {
        const own = r.meta.args.includes('--dangerously-bypass-approvals-and-sandbox');
        t.equal(own, setup === 'engine sandbox on', "codex's own sandbox is off exactly when the engine's is on");
        if (!own) t.ok(r.meta.args.includes('workspace-write'));
      }
    });
  }
}

// The hazard the codex plugin works around, kept as a canary: with a system bwrap on PATH and
// CODEX_HOME under the temp dir (and no TMPDIR of its own), codex 0.169.0's own sandbox fails
// every write while its stream reports the file_change. If this stops failing, codex fixed it.
t.test('canary: codex --sandbox workspace-write, CODEX_HOME under /tmp, bwrap on PATH: writes fail, file_change reported', { skip }, async (t) => {
  const stub = await startStubModel({ scenarioFile });
  t.teardown(() => stub.close());
  const home = await makeCliDir('codex-home');
  await writeCodexHome(home, stub.origin);
  const cwd = await makeCliDir('codex-cwd');
  const run = await runCodex({ home, cwd, prompt: enginePrompt({ phase: 'implement', step: 'implement', milestone: '1' }, 'Write hello.'), tmpdir: '/tmp' });
  t.match(run.stderr, /could not create PATH aliases: Refusing to create helper binaries under temporary dir/);
  t.match(run.stderr, /Failed to write file/);
  t.notOk(existsSync(path.join(cwd, 'out', 'hello.txt')), 'the file is not written');
  const items = run.events.filter((e) => e['type'] === 'item.completed').map((e) => e['item'] as Record<string, unknown>);
  t.ok(items.some((i) => i['type'] === 'file_change'), 'yet the stream carries a file_change');
});
