import type { EnginePolicy } from '../generated/policy.js';
import type { Kpis, Stat } from '../generated/state.js';
import type { MilestoneRecord } from './describe-milestones.js';
import { count, last, list, listByKey, milestonesWith, optionalTotal, sample, tally, total, type EventType, type SampleKind } from './sample-kinds.js';
import { round, statOf } from './stats.js';
import { compareText } from '../util/compare-text.js';

// Every KPI is defined here, once, in three tables that build on each other:
//
//   SAMPLES   what each raw sample reads from the timeline (source events) and how runs pool;
//   MEASURES  each field of a run's `kpis` (state.json, schemas/state.schema.json) from the samples;
//   KPIS      each KPI with a target: its name, unit, measure and aggregation, its target key
//             in `kpi_targets` (schemas/policy.schema.json) and the comparison the target asks for.
//
// Collection (`collectSamples`, `mergeSamples`), description (`summarizeSamples`) and target
// checking (`kpiRows`, the report's rows and milestone marks, summary.md, the decisions) all
// read these tables. docs/kpis.md says how to add a KPI.

/** `kpi_targets` of a resolved policy: every key present (the built-in defaults supply what no layer sets). */
export type KpiTargets = Required<NonNullable<EnginePolicy['kpi_targets']>>;
export type TargetKey = keyof KpiTargets;

/**
 * The raw samples of a run's KPIs, in the order a run's index line keeps them: every measured
 * value kept (so medians and percentiles can be taken over several runs), every count a plain
 * sum; milliseconds and dollars unrounded (`summarizeSamples` rounds once at the end).
 */
export const SAMPLES = {
  /** Milestones planned (the last `plan.accepted` of each run). */
  milestones: last(['plan.accepted'], (e) => e.milestones.length),
  milestones_done: count(['milestone.finished']),
  milestones_started: milestonesWith(['milestone.started']),
  /** `milestone.finished.duration_ms`, one per finished milestone. */
  milestone_ms: list(['milestone.finished'], (e) => e.duration_ms),
  /** Worker calls of each started milestone, in milestone order (a call counts when it starts: see worker_calls). */
  calls_per_milestone: sample(['milestone.started', 'worker.started'], () => {
    const started = new Set<number>();
    const calls = new Map<number, number>();
    return {
      add: (e) => {
        if (e.milestone === null) return;
        if (e.type === 'milestone.started') started.add(e.milestone);
        else calls.set(e.milestone, (calls.get(e.milestone) ?? 0) + 1);
      },
      finish: () => [...started].sort((a, b) => a - b).map((m) => calls.get(m) ?? 0),
    };
  }, (runs) => runs.flat()),
  /** Durations of verification runs that were not skipped, by tier, and the workspace set-up's own time (`setup`). */
  verify_ms: listByKey(['verify.finished', 'workspace.setup'], (e) => (e.type === 'workspace.setup' ? 'setup' : e.skipped ? null : e.tier), (e) => e.duration_ms),
  /** Calls made: counted as each starts, so one a crash of the engine cut short (and resume repeated) counts too. */
  worker_calls: count(['worker.started']),
  parse_failures: count(['parse.failed']),
  /** Milestones with a step at attempt > 1 or a parse failure: what `retry_rate` counts. */
  retried_milestones: milestonesWith(['step.started', 'parse.failed'], (e) => e.type === 'parse.failed' || (e.attempt ?? 1) > 1),
  /** A forced resume over hand edits is one intervention, not two. */
  human_interventions: count(['run.resumed'], (e) => e.forced || e.hand_edits.length > 0 || e.config_reloaded === true),
  governance_violations: count(['governance.violation']),
  /** Files in worker homes where a secret's value was scrubbed (`warning` code secret_scrubbed). */
  secrets_scrubbed: count(['warning'], (e) => e.code === 'secret_scrubbed'),
  diff_files: total(['checkpoint.created'], (e) => e.files),
  diff_loc: total(['checkpoint.created'], (e) => e.added + e.removed),
  review_skips: tally(['review.skipped'], (e) => e.review_skipped_reason),
  /** Sum of the cost workers reported, or null when none did. */
  cost_usd: optionalTotal(['worker.finished'], (e) => e.cost_usd),
  /** Wall time of the steps (`step.finished` and `step.stopped`). */
  total_ms: total(['step.finished', 'step.stopped'], (e) => e.duration_ms),
  tokens: sample(['worker.finished'], () => {
    const tokens = { input: 0, output: 0 };
    return {
      add: (e) => {
        tokens.input += e.usage?.input_tokens ?? 0;
        tokens.output += e.usage?.output_tokens ?? 0;
      },
      finish: () => tokens,
    };
  }, (runs) => ({ input: runs.reduce((n, r) => n + r.input, 0), output: runs.reduce((n, r) => n + r.output, 0) })),
} satisfies Record<string, SampleKind<unknown>>;

type ValueOf<S> = S extends SampleKind<infer V> ? V : never;
/** The raw material of the KPIs of one or more runs (one field per entry of SAMPLES). */
export type KpiSamples = { [K in keyof typeof SAMPLES]: ValueOf<(typeof SAMPLES)[K]> };
export type SampleKey = keyof KpiSamples;

const seconds = (ms: readonly number[]) => statOf(ms.map((m) => m / 1000));

/**
 * Each field of a run's KPIs (the `Kpis` of schemas/state.schema.json, in its order) from the
 * samples it reads: distributions of the measured values, rates from the counts, times in
 * seconds, everything rounded to 3 decimals. Each `of` returns a number or a new object, never
 * a sample itself: RunningKpis hands it the live samples of a run that goes on growing.
 */
export const MEASURES: { [K in keyof Kpis]-?: { from: readonly SampleKey[]; of: (s: KpiSamples) => Kpis[K] } } = {
  milestones: { from: ['milestones'], of: (s) => s.milestones },
  milestones_done: { from: ['milestones_done'], of: (s) => s.milestones_done },
  milestone_s: { from: ['milestone_ms'], of: (s) => seconds(s.milestone_ms) },
  calls_per_milestone: { from: ['calls_per_milestone'], of: (s) => statOf(s.calls_per_milestone) },
  verify_s: { from: ['verify_ms'], of: (s) => Object.fromEntries(Object.keys(s.verify_ms).sort(compareText).map((tier) => [tier, seconds(s.verify_ms[tier]!)])) },
  worker_calls: { from: ['worker_calls'], of: (s) => s.worker_calls },
  parse_failures: { from: ['parse_failures'], of: (s) => s.parse_failures },
  parse_failures_per_100: { from: ['parse_failures', 'worker_calls'], of: (s) => (s.worker_calls ? round((s.parse_failures / s.worker_calls) * 100) : null) },
  retried_milestones: { from: ['retried_milestones'], of: (s) => s.retried_milestones },
  retry_rate: { from: ['retried_milestones', 'milestones_started'], of: (s) => (s.milestones_started ? round(s.retried_milestones / s.milestones_started) : null) },
  human_interventions: { from: ['human_interventions'], of: (s) => s.human_interventions },
  governance_violations: { from: ['governance_violations'], of: (s) => s.governance_violations },
  secrets_scrubbed: { from: ['secrets_scrubbed'], of: (s) => s.secrets_scrubbed },
  diff_files: { from: ['diff_files'], of: (s) => s.diff_files },
  diff_loc: { from: ['diff_loc'], of: (s) => s.diff_loc },
  review_skips: { from: ['review_skips'], of: (s) => ({ ...s.review_skips }) },
  cost_usd: { from: ['cost_usd'], of: (s) => (s.cost_usd === null ? null : round(s.cost_usd)) },
  total_s: { from: ['total_ms'], of: (s) => round(s.total_ms / 1000) },
  tokens: { from: ['tokens'], of: (s) => ({ ...s.tokens }) },
};

/** A measure that is a distribution: a field of `Kpis`, or one verification tier's (`verify_s.tier0`). */
export type StatMeasure = 'milestone_s' | 'calls_per_milestone' | `verify_s.${string}`;
/** A measure that is one number (or null when there is nothing to divide by). */
export type ValueMeasure = { [K in keyof Kpis]-?: Kpis[K] extends number | null | undefined ? K : never }[keyof Kpis];

/**
 * Where a KPI's value comes from. `run`: a run's (or a pool of runs') KPIs — a statistic of a
 * distribution or a number as it is; `optional` rows appear only when the run has the measure.
 * `bootstrap`: the longest total step time of the completed greenfield runs. `repeats`: the
 * determinism of repeats of one task (engine/report/determinism.ts).
 */
export type KpiSource =
  | { scope: 'run'; measure: StatMeasure; aggregate: 'median' | 'p90' | 'max'; optional?: true }
  | { scope: 'run'; measure: ValueMeasure; aggregate: 'value' }
  | { scope: 'bootstrap'; measure: 'total_s'; aggregate: 'max' }
  | { scope: 'repeats'; measure: 'planned_paths' | 'test_outcomes'; aggregate: 'variance' };

export type KpiDefinition = KpiSource & {
  /** How summary.md and `report` name it (with ` (s)` added for seconds). */
  name: string;
  unit: 's' | 'calls' | 'per 100 calls' | 'share' | 'count';
  /** The seed states some targets strictly ("< 1 per 100 calls"): `<`; every other `≤`. */
  op: '<' | '≤';
  /** The values of one milestone the report marks when one is above this target ("over target"). */
  milestone?: (m: MilestoneRecord) => number[];
  /** Its place among the HTML report's trend charts (1 first); none: no chart. */
  trend?: number;
};

const ranOf = (tier: string) => (m: MilestoneRecord) => m.verify.filter((v) => v.tier === tier && !v.skipped).map((v) => v.duration_s);

/**
 * Every KPI with a target, by its key in `kpi_targets`, in the order summary.md and `report`
 * list them. The type makes every target key of the policy schema have exactly one entry.
 */
export const KPIS: { [K in TargetKey]: KpiDefinition } = {
  milestone_median_s: { name: 'milestone time median', unit: 's', scope: 'run', measure: 'milestone_s', aggregate: 'median', op: '≤', trend: 1 },
  milestone_p90_s: { name: 'milestone time p90', unit: 's', scope: 'run', measure: 'milestone_s', aggregate: 'p90', op: '≤', milestone: (m) => (m.duration_s === null ? [] : [m.duration_s]) },
  calls_median: { name: 'worker calls per milestone median', unit: 'calls', scope: 'run', measure: 'calls_per_milestone', aggregate: 'median', op: '≤', trend: 2 },
  calls_p90: { name: 'worker calls per milestone p90', unit: 'calls', scope: 'run', measure: 'calls_per_milestone', aggregate: 'p90', op: '≤', milestone: (m) => [m.worker_calls] },
  tier0_median_s: { name: 'tier0 median', unit: 's', scope: 'run', measure: 'verify_s.tier0', aggregate: 'median', op: '≤', trend: 5 },
  tier0_p90_s: { name: 'tier0 p90', unit: 's', scope: 'run', measure: 'verify_s.tier0', aggregate: 'p90', op: '≤', milestone: ranOf('tier0') },
  tier1_max_s: { name: 'tier1 max', unit: 's', scope: 'run', measure: 'verify_s.tier1', aggregate: 'max', op: '<', milestone: ranOf('tier1') },
  workspace_setup_s: { name: 'workspace set-up max', unit: 's', scope: 'run', measure: 'verify_s.setup', aggregate: 'max', op: '≤', optional: true },
  parse_failures_per_100: { name: 'parse failures per 100 calls', unit: 'per 100 calls', scope: 'run', measure: 'parse_failures_per_100', aggregate: 'value', op: '<', trend: 3 },
  retry_rate: { name: 'retry rate', unit: 'share', scope: 'run', measure: 'retry_rate', aggregate: 'value', op: '<', trend: 4 },
  human_interventions: { name: 'human interventions', unit: 'count', scope: 'run', measure: 'human_interventions', aggregate: 'value', op: '≤' },
  governance_violations: { name: 'governance violations', unit: 'count', scope: 'run', measure: 'governance_violations', aggregate: 'value', op: '≤' },
  bootstrap_total_s: { name: 'bootstrap run total', unit: 's', scope: 'bootstrap', measure: 'total_s', aggregate: 'max', op: '≤' },
  path_variance: { name: 'planned path variance', unit: 'count', scope: 'repeats', measure: 'planned_paths', aggregate: 'variance', op: '≤' },
  outcome_variance: { name: 'test outcome variance', unit: 'count', scope: 'repeats', measure: 'test_outcomes', aggregate: 'variance', op: '≤' },
};

/** The target keys, in table order. */
export const TARGET_KEYS = Object.keys(KPIS) as TargetKey[];

/** A KPI's name as rows show it: `tier0 p90 (s)`. Pure. */
export function labelOf(d: KpiDefinition): string {
  return d.unit === 's' ? `${d.name} (s)` : d.name;
}

/** A `run` KPI's value in a run's KPIs; undefined when the run lacks the measure (no tier1 ran), null when it has no value. Pure. */
export function valueOf(d: KpiDefinition, k: Kpis): number | null | undefined {
  if (d.scope !== 'run') return undefined;
  if (d.aggregate === 'value') return k[d.measure] ?? null;
  const stat: Stat | undefined = d.measure.startsWith('verify_s.') ? k.verify_s[d.measure.slice('verify_s.'.length)] : k[d.measure as 'milestone_s' | 'calls_per_milestone'];
  return stat?.[d.aggregate];
}

/** The timeline events a KPI is computed from (its `run` measure's samples' events). Pure. */
export function sourceEvents(d: KpiDefinition): EventType[] {
  if (d.scope === 'repeats') return d.measure === 'planned_paths' ? ['plan.accepted'] : ['verify.finished'];
  const measure = d.measure.startsWith('verify_s.') ? 'verify_s' : (d.measure as keyof Kpis);
  return [...new Set(MEASURES[measure].from.flatMap((s) => SAMPLES[s].events))];
}
