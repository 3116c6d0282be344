// test cost: about 4 s: one run without the sandbox whose worker removes its workspace.
import t from 'tap';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { killByEnv } from '../helpers/kill-by-env.js';
import { makeIsoFixture, readState, runResume, runRun } from './helpers/fixture.js';

// Without the OS sandbox a worker can remove its own workspace (`cd /; rm -rf "$PWD"`). The
// engine then ran `git add` in a directory that was gone and exited 70, "a bug in the engine",
// leaving state.json `running` (found by a hostile probe). It is a governance stop now: exit
// 3, rule workspace_removed, the run stopped and its records whole.

t.test('sandbox.mode=off: a worker that removes its workspace stops the run (exit 3), never exit 70', async (t) => {
  const id = 'ws-removed';
  const f = makeIsoFixture({ spec: { plan: [{ id: 'm1', goal: 'write a', files_expected: ['src/a.txt'] }], calls: { implement: { sh: 'd=$PWD; cd /; rm -rf "$d"; echo "removed $d" >> "$ISO_SCRATCH/attacks.log"; true' } } }, runId: id });
  t.teardown(() => {
    killByEnv(`ISO_SCRATCH=${f.scratch}`);
    if (!process.env.ISO_KEEP) rmSync(f.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });
  const r = runRun(f, id, 'off');
  t.match(readFileSync(path.join(f.scratch, 'attacks.log'), 'utf8'), /^removed /m, 'the worker removed its workspace');
  t.equal(r.code, 3, r.stderr.slice(-1500));
  const state = readState(f, id);
  t.equal(state?.status, 'stopped');
  t.equal(state?.stop_reason, 'governance_violation');
  t.notOk(existsSync(state?.workspace), 'the workspace is gone');
  const timeline = readFileSync(path.join(f.repo, '.engine', 'runs', id, 'timeline.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.match(timeline.find((e) => e.type === 'governance.violation')?.violations, [{ rule: 'workspace_removed', path: state?.workspace }]);
  t.equal(timeline.at(-1).type, 'run.finished');
  t.match(readFileSync(path.join(f.repo, '.engine', 'runs', id, 'memo.md'), 'utf8'), /workspace was removed during the step/);
  const resumed = runResume(f, id, 'off');
  t.equal(resumed.code, 2, 'a resume is refused as bad input: the workspace is gone');
  t.match(resumed.stderr, /workspace .* is gone/);
});
