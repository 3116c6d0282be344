import t from 'tap';
import { statOf } from '../../engine/kpi/stats.js';
import { bootstrapRow, kpiRows, renderKpiTable } from '../../engine/kpi/targets.js';
import { computeKpis } from '../../engine/kpi/compute.js';
import { targets } from './helpers/targets.js';

t.test('statOf: median, nearest-rank p90, max, count', async (t) => {
  const cases: [number[], ReturnType<typeof statOf>][] = [
    [[], { median: null, p90: null, max: null, count: 0 }],
    [[5], { median: 5, p90: 5, max: 5, count: 1 }],
    [[3, 1], { median: 2, p90: 3, max: 3, count: 2 }],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100], { median: 6, p90: 10, max: 100, count: 11 }],
    [[0.0004, 0.0006], { median: 0.001, p90: 0.001, max: 0.001, count: 2 }],
    // Numeric order, not the text order (10 < 9 as text).
    [[10, 9, 100, 2, -1], { median: 9, p90: 100, max: 100, count: 5 }],
  ];
  for (const [values, want] of cases) t.strictSame(statOf(values), want, JSON.stringify(values));
  const values = [3, 1, 2];
  statOf(values);
  t.strictSame(values, [3, 1, 2], 'the samples are not reordered');
});

t.test('tier1 max is the largest tier1 time, not its p90', async (t) => {
  const k = computeKpis([]);
  // Eleven runs: the nearest-rank p90 is the 10th value (10 s), the maximum 200 s.
  k.verify_s.tier1 = statOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 200]);
  const row = kpiRows(k, targets).find((r) => r.name === 'tier1 max (s)');
  t.strictSame(row, { name: 'tier1 max (s)', value: 200, target: 120, op: '<', ok: false });
});

t.test('a record written before max existed shows no tier1 max rather than a wrong one', async (t) => {
  const k = computeKpis([]);
  k.verify_s.tier1 = { median: 3, p90: 4, count: 2 };
  t.strictSame(kpiRows(k, targets).find((r) => r.name === 'tier1 max (s)'), { name: 'tier1 max (s)', value: null, target: 120, op: '<', ok: null });
});

t.test('rows judge ≤ target; no value, no judgement', async (t) => {
  const k = computeKpis([]);
  k.milestone_s = statOf([100, 400]);
  const rows = kpiRows(k, targets);
  t.strictSame(rows.slice(0, 2).map((r) => [r.value, r.ok]), [
    [250, false],
    [400, false],
  ]);
  t.strictSame(rows.find((r) => r.name === 'retry rate'), { name: 'retry rate', value: null, target: 0.2, op: '<', ok: null });
  t.strictSame(rows.find((r) => r.name === 'governance violations'), { name: 'governance violations', value: 0, target: 0, op: '≤', ok: true });
  t.match(renderKpiTable(rows), /\| milestone time median \(s\) \| 250 \| ≤ 180 \| over \|\n/);
});

t.test('bootstrap: the longest completed greenfield run against bootstrap_total_s', async (t) => {
  t.strictSame(bootstrapRow([900, 1600], targets), { name: 'bootstrap run total (s)', value: 1600, target: 1500, op: '≤', ok: false });
  t.strictSame(bootstrapRow([], targets), { name: 'bootstrap run total (s)', value: null, target: 1500, op: '≤', ok: null });
});

t.test('the seed\'s strict targets are strict: exactly on target is over', async (t) => {
  const k = computeKpis([]);
  k.parse_failures_per_100 = 1;
  k.retry_rate = 0.2;
  k.verify_s.tier1 = statOf([120]);
  k.calls_per_milestone = statOf([2, 2]);
  const rows = kpiRows(k, targets);
  const at = (name: string) => rows.find((r) => r.name === name)!;
  t.match(at('parse failures per 100 calls'), { value: 1, op: '<', ok: false }, '1 per 100 is not < 1 per 100');
  t.match(at('retry rate'), { value: 0.2, op: '<', ok: false });
  t.match(at('tier1 max (s)'), { value: 120, op: '<', ok: false }, 'tier1 must be < 2 minutes');
  t.match(at('worker calls per milestone median'), { value: 2, op: '≤', ok: true }, '≤ targets hold on the target');
  k.parse_failures_per_100 = 0.99;
  t.match(kpiRows(k, targets).find((r) => r.name === 'parse failures per 100 calls'), { ok: true });
  t.match(renderKpiTable(rows), /\| parse failures per 100 calls \| 1 \| < 1 \| over \|\n/);
});
