// test cost: about 3 s: one whole run of the plain-sh hostile agent, without the OS sandbox.
import t from 'tap';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { makeIsoFixture, runRun, readState } from '../isolation/helpers/fixture.js';

// Once `run.finished` and state.json are on record, the run's end is decided: a summary.md the
// file system refuses (full, read-only; here a folder put in its place) is a warning, not a
// failed command whose resume then answers "already completed", and the rest of the run's end
// (the workspace removed, the index line) still happens.
t.test('a summary.md that cannot be written: the run completes, says so, and cleans up after itself', async (t) => {
  const f = makeIsoFixture({ runId: 'r1', spec: { calls: { 'implement#1': { sh: 'mkdir -p "$ISO_REPO/.engine/runs/$ISO_RUN_ID/summary.md/held"' } } } });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const r = runRun(f, 'r1', 'off');
  const state = readState(f, 'r1');
  t.equal(state?.status, r.code === 0 ? 'completed' : 'stopped', 'the state the command reports');
  t.not(r.code, 70, r.stderr);
  t.not(r.code, 71, 'no machine failure: the run ended');
  t.match(r.stderr, /engine: warning: the run (completed|stopped) and its end is recorded, but the file system refused summary\.md.*: is a directory.*`engine report r1` shows the run/);
  t.notMatch(r.stderr, /engine resume r1\b.*crash/, 'no resume of a crash is offered');
  t.match(r.stdout, /^run directory: /m);
  if (state?.status === 'completed') t.notOk(existsSync(state.workspace), 'the workspace is removed');
  const index = readFileSync(path.join(f.repo, '.engine', 'runs', 'index.jsonl'), 'utf8');
  t.match(index, /"run_id":"r1"/, 'the run is in the index');
});
