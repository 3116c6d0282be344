import t from 'tap';
import path from 'node:path';
import { makeFixture, engine, readJsonl } from '../helpers/run-fixture.js';

// Auto-approve reads the milestone's verification from the run's context. A pipeline whose
// worker writes again after its verify step (a second implement step on the way to approval)
// had its new change judged on the verification of the tree before: "verification green" for
// code no command ever ran on. A step that changes the workspace now drops the verification.
t.test('a change made after the verification is not green to auto-approve: it was never verified', async (t) => {
  const f = makeFixture({
    script: { plan: [{ id: 'm1', goal: 'write a', files_expected: ['src/a.txt', 'src/b.txt'] }], implement: { '1': { 'src/a.txt': 'alpha\n' } }, appends: { 'implement#1#1': { 'src/b.txt': 'more\n' } } },
    pipeline: (p) => {
      const steps = p.steps as Record<string, any>[];
      steps.find((s) => s.id === 'verify')!.on.pass = 'implement_more';
      const implement = steps.find((s) => s.id === 'implement')!;
      steps.push({ ...implement, id: 'implement_more', on: { ...implement.on, done: 'approval', no_changes_needed: 'approval' } });
    },
    policy: { auto_approve: { enabled: true }, explore: { mode: 'off' }, verification: { tiers: { tier0: { commands: ['true'] }, tier2: { commands: ['true'] } } } },
  });
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'stale', '--no-progress'], { cwd: f.dir });
  t.equal(r.code, 0, r.stderr);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'stale', 'timeline.jsonl'));
  t.ok(events.some((e) => e.type === 'step.finished' && e.step === 'implement_more'), 'the second implement step ran');
  t.match(events.find((e) => e.type === 'decision.made' && e.milestone === 1)?.reason, 'verification is not green');
  t.notOk(events.some((e) => e.type === 'review.skipped'), 'no review skipped');
});
