import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { TimelineEvent } from '../../engine/generated/event.js';
import { KPIS, MEASURES, SAMPLES, labelOf, sourceEvents, TARGET_KEYS, valueOf, type KpiDefinition } from '../../engine/kpi/definitions.js';
import { collectSamples } from '../../engine/kpi/collect-samples.js';
import { mergeSamples } from '../../engine/kpi/merge-samples.js';
import { summarizeSamples } from '../../engine/kpi/summarize-samples.js';
import { kpiRows } from '../../engine/kpi/targets.js';
import { targets } from './helpers/targets.js';

// The KPI tables (engine/kpi/definitions.ts) against the schemas they stand for, and the
// promise that a sample reads only the events it names: collection is driven by the table, so
// a sample that quietly read another event type would break what docs/kpis.md says of it.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const schema = (name: string) => JSON.parse(readFileSync(path.join(root, 'schemas', name), 'utf8'));
const timelineOf = (id: string): TimelineEvent[] =>
  readFileSync(path.join(root, 'test', 'fixtures', 'report-store', 'runs', id, 'timeline.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{') && line.endsWith('}'))
    .map((line) => JSON.parse(line));

t.test('every target key of the policy schema has one KPI definition, and no definition lacks a key', async (t) => {
  const keys = Object.keys(schema('policy.schema.json').properties.kpi_targets.properties);
  t.strictSame([...TARGET_KEYS].sort(), [...keys].sort());
});

t.test('the built-in policy gives every KPI a target, so no row is judged against nothing', async (t) => {
  const policy = parse(readFileSync(path.join(root, 'policies', 'default.policy.yaml'), 'utf8'));
  for (const key of TARGET_KEYS) t.type(policy.kpi_targets[key], 'number', `kpi_targets.${key}`);
});

t.test("MEASURES has one entry per field of the state schema's kpis, in its order (state.json and report --json keep that order)", async (t) => {
  const kpis = schema('state.schema.json').definitions.kpis;
  t.ok(kpis?.properties, 'the state schema describes kpis');
  t.strictSame(Object.keys(MEASURES), Object.keys(kpis.properties));
});

t.test('every event type a sample reads is a type of the event schema', async (t) => {
  const text = readFileSync(path.join(root, 'schemas', 'event.schema.json'), 'utf8');
  for (const [key, s] of Object.entries(SAMPLES)) {
    for (const type of s.events) t.ok(text.includes(`"const": "${type}"`), `${key} reads ${type}, an event type of the schema`);
  }
});

t.test('a sample reads only the events it names: without them it is what an empty timeline gives', async (t) => {
  const events = [...timelineOf('s1'), ...timelineOf('g1')];
  const empty = collectSamples([]);
  const full = collectSamples(events);
  for (const [key, s] of Object.entries(SAMPLES) as [keyof typeof SAMPLES, (typeof SAMPLES)[keyof typeof SAMPLES]][]) {
    const named = new Set<string>(s.events);
    t.notSame(full[key], empty[key], `${key}: the fixture timelines give it a value`);
    t.strictSame(collectSamples(events.filter((e) => !named.has(e.type)))[key], empty[key], `${key}: every other event leaves it untouched`);
    t.strictSame(collectSamples(events.filter((e) => named.has(e.type)))[key], full[key], `${key}: its own events alone give the full value`);
  }
});

t.test('a measure reads only the samples its `from` names (a running summary keeps a field whose samples did not change)', async (t) => {
  const samples = collectSamples([...timelineOf('s1'), ...timelineOf('g1')]);
  for (const [field, m] of Object.entries(MEASURES)) {
    const read = new Set<string>();
    const watched = new Proxy(samples, {
      get(target, key, receiver) {
        if (typeof key === 'string') read.add(key);
        return Reflect.get(target, key, receiver);
      },
    });
    m.of(watched);
    t.strictSame([...read].sort(), [...new Set<string>(m.from)].sort(), `${field} reads ${m.from.join(', ')}`);
  }
});

t.test('pooling two runs is pooling their events: counts add, values concatenate, rates come from the sums', async (t) => {
  const a = timelineOf('s1');
  const b = timelineOf('r1');
  const pooled = summarizeSamples(mergeSamples([collectSamples(a), collectSamples(b)]));
  const alone = [summarizeSamples(collectSamples(a)), summarizeSamples(collectSamples(b))];
  t.equal(pooled.worker_calls, alone[0]!.worker_calls + alone[1]!.worker_calls);
  t.equal(pooled.milestone_s.count, alone[0]!.milestone_s.count + alone[1]!.milestone_s.count);
  t.equal(pooled.retried_milestones, alone[0]!.retried_milestones + alone[1]!.retried_milestones);
  t.strictSame([alone[0]!.retry_rate, alone[1]!.retry_rate], [1, 0]);
  t.equal(pooled.retry_rate, 0.667, '2 retried of the 3 milestones started, not the mean of the rates (0.5)');
  t.strictSame(Object.keys(summarizeSamples(mergeSamples([collectSamples(a), collectSamples(timelineOf('g2'))])).verify_s), ['setup', 'tier0', 'tier1', 'tier2'], 'tiers of both, sorted');
});

t.test('samples recorded before a sample existed pool as an empty timeline would', async (t) => {
  const s1 = collectSamples(timelineOf('s1'));
  const { cost_usd: _cost, review_skips: _skips, ...older } = collectSamples(timelineOf('g1'));
  const pooled = mergeSamples([s1, older as typeof s1]);
  t.equal(pooled.cost_usd, s1.cost_usd, 'no cost from the older record');
  t.strictSame(pooled.review_skips, s1.review_skips);
  t.equal(pooled.worker_calls, s1.worker_calls + older.worker_calls, 'the samples it has still count');
});

t.test("the rows follow the table: every run KPI, in order, named with its unit, judged by its comparison", async (t) => {
  const k = summarizeSamples(collectSamples(timelineOf('s1')));
  const rows = kpiRows(k, targets);
  const run = TARGET_KEYS.filter((key) => KPIS[key].scope === 'run' && !(key === 'workspace_setup_s'));
  t.strictSame(rows.map((r) => r.name), run.map((key) => labelOf(KPIS[key])), 's1 has no workspace set-up: its optional row is left out');
  const tier1 = rows.find((r) => r.name === 'tier1 max (s)')!;
  t.strictSame(tier1, { name: 'tier1 max (s)', value: 125, target: 120, op: '<', ok: false });
  // On a strict target is over; on a ≤ target is within.
  t.equal(kpiRows({ ...k, verify_s: { tier1: { median: 120, p90: 120, max: 120, count: 1 } } }, targets).find((r) => r.name === 'tier1 max (s)')!.ok, false);
  t.equal(kpiRows({ ...k, calls_per_milestone: { median: 2, p90: 4, max: 4, count: 2 } }, targets).find((r) => r.name === 'worker calls per milestone p90')!.ok, true);
});

t.test('a new KPI is one entry: a definition of a new target reads its value, label and comparison from the entry alone', async (t) => {
  const tier2: KpiDefinition = { name: 'tier2 max', unit: 's', scope: 'run', measure: 'verify_s.tier2', aggregate: 'max', op: '<' };
  const k = summarizeSamples(collectSamples(timelineOf('g2')));
  t.equal(labelOf(tier2), 'tier2 max (s)');
  t.equal(valueOf(tier2, k), 300);
  t.strictSame(sourceEvents(tier2), ['verify.finished', 'workspace.setup']);
  t.strictSame(sourceEvents(KPIS.parse_failures_per_100), ['parse.failed', 'worker.started']);
  t.strictSame(sourceEvents(KPIS.retry_rate), ['step.started', 'parse.failed', 'milestone.started']);
});
