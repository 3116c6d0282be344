import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { makeFixture, engine, readJsonl } from '../helpers/run-fixture.js';

// tier0_fast from run history: a verify step with `tier: auto` runs tier0_fast only once the
// last require_green_runs runs on the repo completed, and says why in verify.selected.
t.test('auto verification moves to tier0_fast after enough green runs, and back after a red one', async (t) => {
  const f = makeFixture({
    policy: {
      verification: { tiers: { tier0: { commands: ['test -f README.md'] }, tier0_fast: { commands: ['test -d .'] }, tier2: { commands: ['test -f src/a.txt'] } } },
      tier0_fast: { require_green_runs: 2 },
    },
  });
  const run = (id: string, extra: string[] = []) => {
    const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress', ...extra], { cwd: f.dir });
    const events = readJsonl(path.join(f.repo, '.engine', 'runs', id, 'timeline.jsonl'));
    return { r, events, selected: events.filter((e) => e.type === 'verify.selected' && e.step === 'verify') };
  };

  const first = run('r1');
  t.equal(first.r.code, 0, first.r.stderr);
  t.same(first.selected.map((e) => e.tier), ['tier0', 'tier0']);
  t.equal(first.selected[0].reason, 'auto: tier0 (0 finished run(s) on this repo, tier0_fast.require_green_runs is 2)');

  const second = run('r2');
  t.equal(second.selected[0].reason, 'auto: tier0 (1 finished run(s) on this repo, tier0_fast.require_green_runs is 2)');

  const third = run('r3');
  t.equal(third.r.code, 0, third.r.stderr);
  t.same(third.selected.map((e) => e.tier), ['tier0_fast', 'tier0_fast'], 'two green runs before it: tier0_fast for both milestones');
  t.equal(third.selected[0].reason, 'auto: tier0_fast (1 file, 1 line; the last 2 runs completed)');
  const finished = third.events.filter((e) => e.type === 'verify.finished');
  t.same(finished.map((e) => e.tier), ['tier0_fast', 'tier0_fast', 'tier2'], 'the run-end verification stays tier2');
  t.ok(existsSync(path.join(f.repo, '.engine', 'runs', 'r3', finished[0].log)), 'the tier0_fast log is kept');
  t.match(readFileSync(path.join(f.repo, '.engine', 'runs', 'r3', finished[0].log), 'utf8'), /test -d \./);

  // A run that stops (here on its tick budget) breaks the streak for the next one.
  const red = run('r4', ['--max-ticks', '2']);
  t.equal(red.r.code, 1);
  const after = run('r5');
  t.equal(after.selected[0].tier, 'tier0');
  t.equal(after.selected[0].reason, 'auto: tier0 (run r4 ended budget_exhausted; the last 2 must have completed)');
});
