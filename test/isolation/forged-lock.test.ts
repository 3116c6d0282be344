// test cost: about 4 s: one run without the sandbox whose worker forges its run's lock and cleans.
import t from 'tap';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { killByEnv } from '../helpers/kill-by-env.js';
import { makeIsoFixture, readState, runRun } from './helpers/fixture.js';

// Without the OS sandbox a worker can write the run store. It wrote a dead pid into its run's
// run.lock; `engine clean`, run then (by the user, or by the worker itself), took the live run
// for a crashed one and removed its workspace under the engine. The engine keeps its lock file
// open while it drives the run: clean sees that, whatever the file says.

const forge = (how: string) =>
  `lock="$ISO_REPO/.engine/runs/$ISO_RUN_ID/run.lock"; ${how}; ` +
  `ENGINE_HOME="$(dirname "$ISO_SCRATCH")/engine-home" node "$ISO_ENGINE/bin/engine.js" clean --repo "$ISO_REPO" >> "$ISO_SCRATCH/clean.log" 2>&1; ` +
  `mkdir -p src && echo a > src/a.txt`;

for (const [what, how] of [
  ['a dead pid written into it', 'echo 2147483646 > "$lock"'],
  ['the file removed', 'rm -f "$lock"'],
  ['the file replaced by one naming a dead pid', 'rm -f "$lock"; echo 2147483646 > "$lock"'],
] as const) {
  t.test(`sandbox.mode=off: the run's lock forged (${what}) and engine clean run: the live workspace is kept, the run completes`, async (t) => {
    const id = 'forged-lock';
    const f = makeIsoFixture({ spec: { plan: [{ id: 'm1', goal: 'write a', files_expected: ['src/a.txt'] }], calls: { implement: { sh: forge(how) } } }, runId: id });
    t.teardown(() => {
      killByEnv(`ISO_SCRATCH=${f.scratch}`);
      if (!process.env.ISO_KEEP) rmSync(f.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    });
    const r = runRun(f, id, 'off');
    const clean = readFileSync(path.join(f.scratch, 'clean.log'), 'utf8');
    t.match(clean, /being driven by a live engine/, 'clean saw the live engine');
    t.notMatch(clean, /crashed run/);
    t.equal(r.code, 0, `${r.stderr.slice(-1500)}\n${clean}`);
    const state = readState(f, id);
    t.equal(state?.status, 'completed');
    t.equal(f.git('show', `engine/${id}:src/a.txt`), 'a', 'the change was checkpointed');
    t.notOk(existsSync(path.join(f.repo, '.engine', 'runs', id, 'run.lock')), 'the lock is gone once the run ended');
  });
}
