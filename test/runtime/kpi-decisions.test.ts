import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeFixture, engine, readJsonl, twoMilestones, type AgentScript } from '../helpers/run-fixture.js';

// KPIs that act, through real runs: each KPI over its target changes what the engine does,
// with a kpi.decision event in the timeline and a line in summary.md (docs/kpis.md).

const runDir = (repo: string, id: string) => path.join(repo, '.engine', 'runs', id);
const run = (f: ReturnType<typeof makeFixture>, id: string) =>
  engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress'], { cwd: f.dir });
const promptOf = (dir: string, events: any[], step: string, milestone: number | null) =>
  readFileSync(path.join(dir, events.find((e) => e.type === 'worker.started' && e.step === step && e.milestone === milestone).call, 'prompt.md'), 'utf8');

// Milestone 1 needs a second implement call: its first draft fails verification.
const retryFirst: AgentScript = {
  plan: twoMilestones.plan,
  implement: { '2': { 'src/b.txt': 'beta\n' } },
  writes: { 'implement#1#1': { 'src/a.txt': 'draft\n' }, 'implement#1#2': { 'src/a.txt': 'fixed\n' } },
};
const verification = { tiers: { tier0: { commands: ['test ! -f src/a.txt || grep -q fixed src/a.txt || { echo EXPECTED-FIXED-MARK; exit 1; }'] }, tier2: { commands: ['true'] } } };

t.test('calls per milestone over target: the next milestone carries the failure and its review is required; retry rate over target: the next run plans smaller', async (t) => {
  const f = makeFixture({ script: retryFirst, policy: { auto_approve: { enabled: true }, explore: { mode: 'off' }, verification, kpi_targets: { calls_p90: 1 } } });
  const r = run(f, 'k1');
  t.equal(r.code, 0, r.stderr);
  const dir = runDir(f.repo, 'k1');
  const events = readJsonl(path.join(dir, 'timeline.jsonl'));
  const decisions = events.filter((e) => e.type === 'kpi.decision');
  t.equal(decisions.length, 1, 'milestone 2 took one call: no decision for a milestone 3');
  t.match(decisions[0], { kpi: 'calls_p90', value: 2, target: 1, decision: 'require_review', milestone: 1, step: 'next_milestone' });
  // Milestone 1 was auto-approved; milestone 2, as small, is not: the KPI requires its review.
  t.ok(events.some((e) => e.type === 'review.skipped' && e.milestone === 1));
  t.notOk(events.some((e) => e.type === 'review.skipped' && e.milestone === 2));
  t.match(events.find((e) => e.type === 'decision.made' && e.milestone === 2).reason, /a KPI requires the review: milestone 1 took 2 worker calls/);
  t.ok(events.some((e) => e.type === 'worker.started' && e.step === 'review' && e.milestone === 2), 'the reviewer was called');
  const m2 = promptOf(dir, events, 'implement', 2);
  t.match(m2, /The previous milestone went badly/);
  t.match(m2, /EXPECTED-FIXED-MARK/, 'with the failure output of milestone 1');
  t.notMatch(promptOf(dir, events, 'implement', 1), /previous milestone went badly/);
  const summary = readFileSync(path.join(dir, 'summary.md'), 'utf8');
  t.match(summary, /## KPI decisions\n\n- require_review \(calls_p90 2, target 1, milestone 1\): milestone 1 took 2 worker calls/);

  // The retry rate of k1 is 1 of 2 milestones (0.5, target < 0.2): the next run's planner is
  // asked for smaller milestones.
  const r2 = run(f, 'k2');
  t.equal(r2.code, 0, r2.stderr);
  const dir2 = runDir(f.repo, 'k2');
  const events2 = readJsonl(path.join(dir2, 'timeline.jsonl'));
  t.match(events2.find((e) => e.type === 'kpi.decision'), { kpi: 'retry_rate', value: 0.5, target: 0.2, decision: 'smaller_milestones', step: 'plan' });
  t.match(promptOf(dir2, events2, 'plan', null), /make the\s+milestones smaller/);
  t.notMatch(promptOf(dir, events, 'plan', null), /milestones smaller/, 'the first run had no history');
});

t.test('within target nothing changes: no decision, milestone 2 auto-approved', async (t) => {
  const f = makeFixture({ script: retryFirst, policy: { auto_approve: { enabled: true }, explore: { mode: 'off' }, verification } });
  t.equal(run(f, 'k0').code, 0);
  const events = readJsonl(path.join(runDir(f.repo, 'k0'), 'timeline.jsonl'));
  t.equal(events.filter((e) => e.type === 'kpi.decision').length, 0);
  t.ok(events.some((e) => e.type === 'review.skipped' && e.milestone === 2));
  t.notMatch(readFileSync(path.join(runDir(f.repo, 'k0'), 'summary.md'), 'utf8'), /KPI decisions/);
});

t.test('parse failures over target with a worker without native structured output: the step stops for doctor --live', async (t) => {
  const f = makeFixture({ script: { ...twoMilestones, garbage: { 'implement#1#1': 1, 'implement#2#1': 1 } } });
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'pf'], { cwd: f.dir });
  t.equal(r.code, 1, r.stderr);
  // The progress says the truth at each failure: a repair follows the first, none the second, and why.
  t.match(r.stderr, /\[1\/2\] implement: parse failure \(.*\); 1 repair\(s\) left\n/);
  t.match(r.stderr, /\[2\/2\] implement: parse failure \(.*\); 0 repair\(s\) left\n\[2\/2\] implement: KPI parse_failures_per_100 \d+(\.\d+)? \(target 1\): .*engine doctor \S+test\.pipeline\.yaml .*--live/);
  const dir = runDir(f.repo, 'pf');
  const events = readJsonl(path.join(dir, 'timeline.jsonl'));
  t.equal(events.filter((e) => e.type === 'parse.failed').length, 2, 'the first failure was repaired; the second decides');
  t.same(events.filter((e) => e.type === 'parse.failed').map((e) => e.retries_left), [1, 0], 'the failure that stops the step says no repair follows');
  const d = events.find((e) => e.type === 'kpi.decision');
  t.match(d, { kpi: 'parse_failures_per_100', target: 1, decision: 'doctor_live', worker: 'implementer', milestone: 2 });
  t.ok(d.value >= 1);
  t.equal(events.at(-1).stop_reason, 'parse_failed');
  t.equal(events.filter((e) => e.type === 'worker.started' && e.milestone === 2).length, 1, 'no repair prompt after the decision');
  t.match(readFileSync(path.join(dir, 'memo.md'), 'utf8'), /engine doctor \S+test\.pipeline\.yaml .*--live/);
  // For the run's own pipeline, repo and policy: a bare `engine doctor --live` probed the
  // workers of the repo's .engine/pipeline.yaml, not the one that failed.
  const live = /`engine doctor \S*test\.pipeline\.yaml --repo \S*repo --policy \S*test\.policy\.yaml --live` before resuming/;
  t.match(d.detail, live);
  t.match(r.stderr, live);
});

t.test('tier0_fast slower than the tier0 target over the recent runs is suspended', async (t) => {
  const f = makeFixture({
    policy: {
      auto_approve: { enabled: false },
      explore: { mode: 'off' },
      tier0_fast: { require_green_runs: 1 },
      verification: { tiers: { tier0: { commands: ['true'] }, tier0_fast: { commands: ['sleep 0.05'] }, tier2: { commands: ['true'] } } },
      kpi_targets: { tier0_p90_s: 0.01 },
    },
  });
  for (const id of ['f1', 'f2', 'f3']) t.equal(run(f, id).code, 0, id);
  const tiers = (id: string) => readJsonl(path.join(runDir(f.repo, id), 'timeline.jsonl')).filter((e) => e.type === 'verify.selected' && e.step === 'verify');
  t.same(tiers('f1').map((e) => e.tier), ['tier0', 'tier0'], 'no history yet');
  t.same(tiers('f2').map((e) => e.tier), ['tier0_fast', 'tier0_fast'], 'one green run, no tier0_fast times yet');
  t.same(tiers('f3').map((e) => e.tier), ['tier0', 'tier0'], 'f2 showed tier0_fast slower than 0.01 s');
  t.match(tiers('f3')[0].reason, /suspended: tier0_fast p90 over the last 1 run\(s\) is [\d.]+ s \(tier0 target ≤ 0.01\)/);
  const decisions = readJsonl(path.join(runDir(f.repo, 'f3'), 'timeline.jsonl')).filter((e) => e.type === 'kpi.decision');
  t.equal(decisions.length, 2, 'one per verify step that wanted tier0_fast');
  t.match(decisions[0], { kpi: 'tier0_p90_s', target: 0.01, decision: 'suspend_tier0_fast' });
});
