import t from 'tap';
import { buildReport, type ReportRunInput } from '../../engine/report/build-report.js';
import { milestoneOverTargets as overTargets } from '../../engine/kpi/targets.js';
import { computeKpis, computePooledKpis } from '../../engine/kpi/compute.js';
import { describeMilestones } from '../../engine/kpi/describe-milestones.js';
import { timeline } from '../kpi/helpers/make-events.js';
import { targets } from '../kpi/helpers/targets.js';
import { describeOtherKpis, realCost } from '../../engine/report/describe-cells.js';

function input(run_id: string, events: ReportRunInput['events'], extra: Partial<ReportRunInput> = {}): ReportRunInput {
  return { run_id, status: 'completed', stop_reason: 'completed', goal: `goal of ${run_id}`, task_kind: 'incremental', created_at: '2026-01-01T00:00:00.000Z', events, notes: [], ...extra };
}

// r1: milestones of 100 s and 500 s (2 and 6 calls); r2: one of 200 s (1 call), then 1000 s of steps.
const r1 = () =>
  timeline()
    .plan([
      { id: 'a', goal: 'first' },
      { id: 'b', goal: 'second' },
    ])
    .milestone(1, { id: 'a', ms: 100_000, calls: 2, verify: [{ tier: 'tier0', ms: 10_000 }] })
    .milestone(2, { id: 'b', ms: 500_000, calls: 6, verify: [{ tier: 'tier0', ms: 70_000 }, { tier: 'tier1', ms: 130_000 }] }).events;
const r2 = () => timeline().plan([{ id: 'c', goal: 'third' }]).milestone(1, { id: 'c', ms: 200_000, calls: 1 }).step(1_000_000).events;

t.test('per run: its KPIs, rows and milestones; across: the pooled KPIs', async (t) => {
  const report = buildReport({ store: '/s', runs: [input('r1', r1()), input('r2', r2())], targets });
  t.equal(report.store, '/s');
  t.strictSame(report.runs.map((r) => r.run_id), ['r1', 'r2']);
  t.strictSame(report.runs[0]!.kpis, computeKpis(r1()));
  t.strictSame(report.runs[0]!.milestones.map(({ over, ...m }) => m), describeMilestones(r1()));
  t.strictSame(report.across.kpis, computePooledKpis([r1(), r2()]));
  t.strictSame(report.across.run_ids, ['r1', 'r2']);
  // Pooled milestone seconds 100, 200, 500: median 200, p90 500.
  const row = (name: string) => report.across.rows.find((r) => r.name === name);
  t.strictSame(row('milestone time median (s)'), { name: 'milestone time median (s)', value: 200, target: 180, ok: false, op: '≤' });
  t.strictSame(row('milestone time p90 (s)'), { name: 'milestone time p90 (s)', value: 500, target: 360, ok: false, op: '≤' });
  t.strictSame(row('worker calls per milestone median'), { name: 'worker calls per milestone median', value: 2, target: 2, ok: true, op: '≤' });
  t.strictSame(row('tier1 max (s)'), { name: 'tier1 max (s)', value: 130, target: 120, ok: false, op: '<' });
  t.strictSame(row('bootstrap run total (s)'), { name: 'bootstrap run total (s)', value: null, target: 1500, ok: null, op: '≤' }, 'no greenfield run');
});

t.test('each milestone names the targets it exceeds on its own', async (t) => {
  const report = buildReport({ store: '/s', runs: [input('r1', r1())], targets });
  t.strictSame(report.runs[0]!.milestones.map((m) => m.over), [[], ['milestone_p90_s', 'calls_p90', 'tier0_p90_s', 'tier1_max_s']]);
  const [m] = describeMilestones(timeline().milestone(1, { id: 'x', ms: 360_000, calls: 4, verify: [{ tier: 'tier1', ms: 500_000, skipped: true }] }).events);
  t.strictSame(overTargets(m!, targets), [], 'at the target is within it; a skipped tier is not judged');
});

t.test('bootstrap: completed greenfield runs only', async (t) => {
  const report = buildReport({
    store: '/s',
    runs: [input('g1', r2(), { task_kind: 'greenfield' }), input('g2', r1(), { task_kind: 'greenfield', status: 'stopped', stop_reason: 'budget_exhausted' })],
    targets,
  });
  const boot = (rows: { name: string }[]) => rows.find((r) => r.name === 'bootstrap run total (s)');
  t.match(boot(report.across.rows), { value: 1000, ok: true }, 'the stopped greenfield run is not a bootstrap time');
  t.match(boot(report.runs[0]!.rows), { value: 1000, ok: true });
  t.match(boot(report.runs[1]!.rows), { value: null, ok: null });
});

t.test('a run without a timeline is listed with its notes and left out of the pool', async (t) => {
  const report = buildReport({ store: '/s', runs: [input('r1', r1()), input('lost', null, { notes: ['it has no timeline.jsonl; no KPIs for this run'] })], targets });
  const lost = report.runs[1]!;
  t.strictSame([lost.kpis, lost.rows, lost.milestones, lost.notes], [null, [], [], ['it has no timeline.jsonl; no KPIs for this run']]);
  t.strictSame(report.across.run_ids, ['r1']);
  t.strictSame(report.across.kpis, computeKpis(r1()));
  const none = buildReport({ store: '/s', runs: [input('lost', null)], targets });
  t.strictSame(none.across, { run_ids: [], kpis: null, rows: [], cost_usd: null });
});

t.test('cost: only what workers reported outside the scripted model counts as money', async (t) => {
  const paid = () => timeline().plan([{ id: 'a', goal: 'x' }]).milestone(1, { id: 'a', ms: 1000, calls: 2, cost: 0.25 }).events;
  const report = buildReport({ store: '/s', runs: [input('real', paid()), input('demo', paid(), { scripted: true }), input('free', r2())], targets });
  t.strictSame(report.runs.map((r) => [r.scripted, r.kpis!.cost_usd]), [[false, 0.25], [true, 0.25], [false, null]], 'the KPIs keep what the workers reported');
  t.strictSame(report.runs.map(realCost), [0.25, null, null]);
  t.equal(report.across.cost_usd, 0.25, 'the scripted run left out');
  t.equal(report.across.kpis!.cost_usd, 0.5, 'the pooled KPI is still the reported sum');
  const demo = buildReport({ store: '/s', runs: [input('demo', paid(), { scripted: true })], targets });
  t.equal(demo.across.cost_usd, null);
  t.strictSame(describeOtherKpis(demo.across.kpis!, demo.across.cost_usd).find(([k]) => k === 'cost'), ['cost', "– (the scripted model's, not real)"]);
  t.strictSame(describeOtherKpis(report.across.kpis!, report.across.cost_usd).find(([k]) => k === 'cost'), ['cost', '$0.25']);
});
