import t from 'tap';
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { engine, makeFixture } from '../helpers/run-fixture.js';

// A copy of a run directory whose state.json was given another run id is no second run: the
// store refused a copy under the same id (E_DUPLICATE_RUN), but with the id changed the report
// pooled the copy's milestones, calls and times with the original's, "8 of 8 planned" for a
// store that held one run of 2. The timeline says whose it is: its run.started names the run.
t.test("a timeline whose run.started names another run gives this run no KPIs, and the pool counts it once", async (t) => {
  const f = makeFixture();
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'write a and b', '--policy', f.policyFile, '--run-id', 'orig', '--no-progress'], { cwd: f.repo });
  t.equal(r.code, 0, r.stderr);
  const store = path.join(f.repo, '.engine', 'runs');
  const copy = path.join(store, 'copy');
  cpSync(path.join(store, 'orig'), copy, { recursive: true });
  const state = JSON.parse(readFileSync(path.join(copy, 'state.json'), 'utf8'));
  writeFileSync(path.join(copy, 'state.json'), JSON.stringify({ ...state, run_id: 'copy' }));
  for (const args of [['--json'], ['--json', '--html', path.join(f.dir, 'r.html')]]) {
    const rep = engine(['report', '--all', ...args], { cwd: f.repo });
    t.equal(rep.code, 0, rep.stderr);
    const doc = JSON.parse(rep.stdout);
    const byId = Object.fromEntries(doc.runs.map((x: { run_id: string }) => [x.run_id, x]));
    t.equal(byId.copy.kpis, null, 'the copy has no KPIs of its own');
    t.match(byId.copy.notes.join(' '), /timeline\.jsonl is the timeline of run orig/);
    t.strictSame(doc.across.run_ids, ['orig'], 'the pool holds the original once');
    t.equal(doc.across.kpis.milestones, 2);
    t.match(JSON.stringify(doc.diagnostics), /run copy: timeline\.jsonl is the timeline of run orig/, 'a warning says it');
    t.strictSame(doc.determinism.groups, [], 'no repeat of the task: the copy is no second run of it');
  }
  t.ok(readdirSync(store).includes('index.jsonl'));
});
