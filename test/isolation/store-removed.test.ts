// test cost: about 8 s: two runs (without the OS sandbox and under bwrap) whose store is removed mid-call.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { killByEnv } from '../helpers/kill-by-env.js';
import { bareNode, childEnv, readJsonl } from '../helpers/run-fixture.js';
import { makeIsoFixture, modes, readState, safeGit, sandboxArgs, type EngineResult, type IsoFixture, type Mode } from './helpers/fixture.js';

// The run store removed from outside while a worker's call runs (the user's `rm -rf
// .engine/runs`, a cleanup script): without the OS sandbox the record check after the call
// found the records gone, wrote them back and stopped the run (run_store, exit 3). Under
// bubblewrap the records are left out of that check, since no sandboxed process can write
// them, so nothing noticed: the timeline went on into a removed file, and the run "completed"
// with a store that held no timeline at all. Whoever removed it, it is noticed in both modes.

/** `engine run` in the background; while its implement call waits, the run store is removed from outside. */
async function runRemovingStore(f: IsoFixture, id: string, mode: Mode): Promise<EngineResult> {
  const args = ['run', f.pipelineFile, '--repo', f.repo, '--goal', 'do the task', '--run-id', id, '--no-progress', ...sandboxArgs(f, mode)];
  const child = spawn('/usr/bin/env', [...bareNode, f.engineBin, ...args], { cwd: f.dir, env: childEnv(f.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const ready = path.join(f.scratch, 'ready');
  const timer = setInterval(() => {
    if (!existsSync(ready)) return;
    clearInterval(timer);
    rmSync(path.join(f.repo, '.engine', 'runs'), { recursive: true, force: true });
    writeFileSync(path.join(f.scratch, 'go'), '');
  }, 20);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  clearInterval(timer);
  return { code, signal, stdout, stderr };
}

for (const { mode, skip } of modes()) {
  t.test(`sandbox.mode=${mode}: the run store removed during a call stops the run (exit 3, run_store), its records written back`, { skip }, async (t) => {
    const id = `gone-${mode}`;
    const sh = ': > "$ISO_SCRATCH/ready"; n=0; while [ ! -e "$ISO_SCRATCH/go" ] && [ $n -lt 600 ]; do sleep 0.05; n=$((n+1)); done';
    const f = makeIsoFixture({ spec: { calls: { implement: { sh, once: true } } }, runId: id });
    t.teardown(() => {
      killByEnv(`ISO_SCRATCH=${f.scratch}`);
      if (!process.env.ISO_KEEP) rmSync(f.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    });
    const r = await runRemovingStore(f, id, mode);
    t.ok(existsSync(path.join(f.scratch, 'go')), 'the store was removed while the call ran');
    t.equal(r.code, 3, r.stderr.slice(-1500));
    const state = readState(f, id);
    t.equal(state?.status, 'stopped', 'state.json is there again, the run stopped');
    t.equal(state?.stop_reason, 'governance_violation');
    const events = readJsonl(path.join(f.repo, '.engine', 'runs', id, 'timeline.jsonl'));
    t.same(events.map((e) => e.seq), events.map((_, i) => i + 1), 'the whole timeline is written back: seq runs 1..n');
    t.equal(events[0]?.type, 'run.started', 'from its first event');
    const violation = events.find((e) => e.type === 'governance.violation');
    t.match(violation?.violations, [{ path: 'timeline.jsonl', rule: 'run_store' }], 'the timeline is named as a record the engine wrote');
    t.equal(events.at(-1)?.type, 'run.finished');
    t.equal(safeGit(f.repo, ['branch', '--list', `engine/${id}`]).trim(), `engine/${id}`, 'the run branch stays');
  });
}
