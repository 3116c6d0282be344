// test cost: about 6 s: one sandboxed run.
import t from 'tap';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { killByEnv } from '../helpers/kill-by-env.js';
import { readJsonl } from '../helpers/run-fixture.js';
import { makeIsoFixture, modes, readState, runRun } from './helpers/fixture.js';
import { snapshotRepo, assertRepoUnchanged } from './helpers/snapshot.js';

// A sandbox.writable entry missing when the run starts, inside a place the worker may write:
// the implementer makes it a link to the user's checkout. Every later sandboxed process is
// given the entry as it resolves when it starts, and none that leads into the checkout, so the
// reviewer got no grant of the checkout; but the run said nothing of it. The step that ran
// without the grant reports it, once: a warning `sandbox_grant_withheld` naming the link and
// where it leads.
for (const { mode, skip } of modes().filter((m) => m.mode === 'bwrap')) {
  t.test(`sandbox.mode=${mode}: a writable entry turned into a link into the checkout is withheld, and told`, { skip }, async (t) => {
    const id = 'withheld-grant';
    const f = makeIsoFixture({ spec: { calls: { 'implement#1': { sh: 'ln -s "$ISO_REPO" "$ISO_SCRATCH/cache"', once: true } } }, runId: id });
    t.teardown(() => {
      killByEnv(`ISO_SCRATCH=${f.scratch}`);
      if (!process.env.ISO_KEEP) rmSync(f.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    });
    const before = snapshotRepo(f.repo);
    const cache = path.join(f.scratch, 'cache');
    const r = runRun(f, id, mode, ['--set', `sandbox.writable=${JSON.stringify([f.scratch, cache])}`]);
    t.not(r.code, 70, r.stderr.slice(-1500));
    const state = readState(f, id);
    t.ok(state, 'the run has a state');
    const events = readJsonl(path.join(f.repo, '.engine', 'runs', id, 'timeline.jsonl'));
    const told = events.filter((e) => e.type === 'warning' && e.code === 'sandbox_grant_withheld');
    t.equal(told.length, 1, `told once (${readFileSync(path.join(f.scratch, 'attacks.log'), 'utf8').trim()})`);
    t.match(told[0]?.message ?? '', `${cache} (it leads to ${f.repo}) is inside the repository ${f.repo}`, 'naming the entry and where it leads');
    t.not(told[0]?.step, 'implement', 'by a step after the one that made the link');
    assertRepoUnchanged(t, before, snapshotRepo(f.repo), {});
  });
}
