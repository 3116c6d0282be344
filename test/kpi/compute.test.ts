import t from 'tap';
import { computeKpis, RunningKpis } from '../../engine/kpi/compute.js';
import { collectSamples } from '../../engine/kpi/collect-samples.js';
import { mergeSamples } from '../../engine/kpi/merge-samples.js';
import { summarizeSamples } from '../../engine/kpi/summarize-samples.js';
import { timeline } from './helpers/make-events.js';

/** Three planned milestones: two finished (the second retried), the third still running. */
function sampleRun() {
  const b = timeline()
    .plan([
      { id: 'm1', goal: 'one' },
      { id: 'm2', goal: 'two' },
      { id: 'm3', goal: 'three' },
    ])
    .milestone(1, { id: 'm1', ms: 1000, calls: 2, cost: 0.01, verify: [{ tier: 'tier0', ms: 500 }, { tier: 'tier1', ms: 2000 }], checkpoint: { files: 2, added: 10, removed: 2 } })
    .milestone(2, {
      id: 'm2',
      ms: 3000,
      calls: 4,
      attempts: 2,
      parseFailures: 1,
      cost: 0.02,
      verify: [{ tier: 'tier0', ms: 1500, pass: false }, { tier: 'tier0', ms: 700 }, { tier: 'tier1', ms: 4000 }],
      reviewSkipped: 'small_green',
      checkpoint: { files: 1, added: 3, removed: 0 },
    })
    .milestone(3, { id: 'm3', calls: 1, verify: [{ tier: 'tier0', ms: 100, skipped: true }] })
    .step(1200)
    .add('step.stopped', { step: 'implement', milestone: 3, attempt: 1, kind: 'worker', stop_reason: 'budget_exhausted', detail: 'ticks', duration_ms: 300 })
    .add('run.resumed', { from_seq: 3, checkpoint: null, restored_tree: null, repeated_step: null, forced: true, hand_edits: ['a.txt'], policy_hash: 'h', policy_changed: false, max_ticks: 9, time_min: 9, killed_pgid: null })
    .add('run.resumed', { from_seq: 4, checkpoint: null, restored_tree: null, repeated_step: null, forced: false, hand_edits: [], policy_hash: 'h', policy_changed: false, max_ticks: 9, time_min: 9, killed_pgid: null })
    .add('governance.violation', { milestone: 3, call: 'calls/x', violations: [{ path: 'package-lock.json', rule: 'dependency_file', pattern: null }], patch: 'attempted.patch', stop_reason: 'governance_violation' });
  return b.events;
}

t.test('computeKpis: every KPI of one run, computed by hand', async (t) => {
  t.strictSame(computeKpis(sampleRun()), {
    milestones: 3,
    milestones_done: 2,
    milestone_s: { median: 2, p90: 3, max: 3, count: 2 },
    calls_per_milestone: { median: 2, p90: 4, max: 4, count: 3 },
    verify_s: {
      tier0: { median: 0.7, p90: 1.5, max: 1.5, count: 3 },
      tier1: { median: 3, p90: 4, max: 4, count: 2 },
    },
    worker_calls: 7,
    parse_failures: 1,
    parse_failures_per_100: 14.286,
    retried_milestones: 1,
    retry_rate: 0.333,
    human_interventions: 1,
    governance_violations: 1,
    secrets_scrubbed: 0,
    diff_files: 3,
    diff_loc: 15,
    review_skips: { small_green: 1 },
    cost_usd: 0.03,
    total_s: 1.5,
    tokens: { input: 700, output: 70 },
  });
});

t.test('computeKpis of an empty timeline: zeros and nulls, no division by zero', async (t) => {
  const k = computeKpis([]);
  t.strictSame(k.milestone_s, { median: null, p90: null, max: null, count: 0 });
  t.equal(k.parse_failures_per_100, null);
  t.equal(k.retry_rate, null);
  t.equal(k.cost_usd, null);
  t.strictSame(k.verify_s, {});
});

t.test('the pipeline: collect, merge, summarize; one run merged alone is that run', async (t) => {
  const events = sampleRun();
  t.strictSame(summarizeSamples(mergeSamples([collectSamples(events)])), computeKpis(events));
  const samples = collectSamples(events);
  t.strictSame(samples.milestone_ms, [1000, 3000], 'raw milliseconds kept');
  t.strictSame(samples.calls_per_milestone, [2, 4, 1], 'one count per started milestone, in order');
  t.strictSame(samples.verify_ms, { tier0: [500, 1500, 700], tier1: [2000, 4000] }, 'skipped verification left out');
  t.equal(samples.milestones_started, 3);
});

t.test('governance.violation counts once per event', async (t) => {
  const b = timeline().add('governance.violation', { call: 'c', violations: [{ path: 'a', rule: 'protected', pattern: 'a' }], patch: null, stop_reason: 'governance_violation' });
  b.add('governance.violation', { call: 'd', violations: [{ path: 'engine/x.ts', rule: 'framework_path', pattern: 'engine/**' }], patch: null, stop_reason: 'framework_fix_needed' });
  t.equal(computeKpis(b.events).governance_violations, 2);
});

t.test('RunningKpis: after each appended event the same KPIs as computeKpis over the whole prefix', async (t) => {
  const events = sampleRun();
  const running = new RunningKpis();
  const grown: typeof events = [];
  for (const e of events) {
    grown.push(e);
    t.strictSame(running.of(grown), computeKpis(grown), `after seq ${e.seq}`);
  }
  // Several events at once, then a different (shorter) array: it starts over instead of mixing them.
  const other = events.slice(0, 5);
  t.strictSame(running.of(other), computeKpis(other));
  t.strictSame(running.of(events), computeKpis(events));
  // Asked again with nothing new, or with events no sample reads, the answer is the one already made.
  const again = new RunningKpis();
  const first = again.of(grown);
  t.equal(again.of(grown), first, 'nothing new: the same answer');
  const withUnread = [...grown, { ...grown.at(-1)!, seq: grown.at(-1)!.seq + 1, type: 'warning', message: 'x' } as (typeof grown)[number]];
  t.strictSame(again.of(withUnread), computeKpis(withUnread));
  // A field whose samples no new event changed is the last answer's own value; the others are made again.
  const kept = new RunningKpis();
  const upTo = events.findIndex((e) => e.type === 'milestone.finished') + 1;
  const withStep = events.slice(0, upTo);
  const firstAnswer = kept.of(withStep);
  withStep.push({ ...events[upTo - 1]!, seq: 999, type: 'step.finished', duration_ms: 5 } as (typeof events)[number]);
  const secondAnswer = kept.of(withStep);
  t.equal(secondAnswer.milestone_s, firstAnswer.milestone_s, 'milestone_s kept: no milestone finished');
  t.not(secondAnswer.total_s, firstAnswer.total_s, 'total_s made again');
  t.strictSame(secondAnswer, computeKpis(withStep));
  // An earlier answer is a copy: later events do not change it.
  const early = new RunningKpis();
  const prefix = events.slice(0, 10);
  const before = early.of(prefix);
  const snapshot = JSON.parse(JSON.stringify(before));
  prefix.push(...events.slice(10));
  early.of(prefix);
  t.strictSame(before, snapshot);
});
