import type { TimelineEvent } from '../generated/event.js';
import type { Kpis } from '../generated/state.js';
import { collectSamples, type KpiSamples } from '../kpi/collect-samples.js';
import { describeMilestones, describeRunVerification, type MilestoneRecord, type MilestoneVerify } from '../kpi/describe-milestones.js';
import { mergeSamples } from '../kpi/merge-samples.js';
import { summarizeSamples } from '../kpi/summarize-samples.js';
import { bootstrapRow, kpiRows, milestoneOverTargets, type KpiRow, type KpiTargets } from '../kpi/targets.js';

/** A run as the report needs it: a few fields of its state.json and its timeline. */
export interface ReportRunInput {
  run_id: string;
  status: string;
  stop_reason: string | null;
  goal: string;
  task_kind: string | null;
  created_at: string;
  /** The run was served by the scripted model (its task names a scenario): its cost is not real money. */
  scripted?: boolean;
  /** The store the run is in, when several stores are pooled. */
  store?: string;
  /** The timeline events that could be read; null when there is no timeline at all (or a digest stands in). */
  events: readonly TimelineEvent[] | null;
  /** What the same events give, from the store's index: used when `events` is null. */
  digest?: RunDigest;
  /** What the reader had to leave out, for the user (torn or invalid lines, a missing file). */
  notes: string[];
}

/** A run's timeline as the report uses it: its KPI samples, milestones and run-end verification. */
export interface RunDigest {
  samples: KpiSamples;
  milestones: MilestoneRecord[];
  run_verify: MilestoneVerify[];
}

export interface ReportInput {
  store: string;
  /** Every store pooled, when more than one (`store` is the first). */
  stores?: string[];
  /** How many runs the stores hold, when more than are reported (a run named, or `latest`). */
  stored?: number;
  runs: readonly ReportRunInput[];
  targets: KpiTargets;
  /**
   * Each run's KPI rows and milestones (default true). False leaves both empty: the text
   * of several runs, one line each, shows neither, and at 10,000 runs making them was a
   * fifth of `report --all`.
   */
  runDetails?: boolean;
}

/** One milestone with the per-milestone targets it exceeds (`milestone_p90_s`, `calls_p90`, …). */
export interface MilestoneReport extends MilestoneRecord {
  over: string[];
}

/** A run's input fields as read (but its events), with what the report derives from them. */
export interface RunReport extends Omit<ReportRunInput, 'events' | 'digest' | 'scripted'> {
  scripted: boolean;
  /** From the timeline; null when the run has none. */
  kpis: Kpis | null;
  rows: KpiRow[];
  milestones: MilestoneReport[];
  /** Verification that belongs to no milestone (the run-end tier2). */
  run_verify: MilestoneVerify[];
}

export interface Report {
  store: string;
  /** Every store pooled, when more than one. */
  stores?: string[];
  /** How many runs the stores hold, when more than are reported. */
  stored?: number;
  runs: RunReport[];
  across: {
    /** The runs whose timelines are pooled (every selected run that has one). */
    run_ids: string[];
    /** Null (and no rows) when no selected run has a timeline. */
    kpis: Kpis | null;
    rows: KpiRow[];
    /** The cost the workers reported in the runs not served by the scripted model; null when none did. */
    cost_usd: number | null;
  };
}

/**
 * The report of the selected runs: per run its KPIs and milestones, across them the KPIs of
 * the pooled samples, each against the targets. A run's events, or the digest of them the
 * store's index keeps, give the same report. Reads nothing, prints nothing. Pure.
 */
export function buildReport(input: ReportInput): Report {
  const { targets } = input;
  const digests = input.runs.map(digestOf);
  const runs = input.runs.map((r, i) => buildRun(r, digests[i]!, targets, input.runDetails ?? true));
  const withTimeline = input.runs.filter((_, i) => digests[i] !== null);
  const run_ids = withTimeline.map((r) => r.run_id);
  const costs = runs.flatMap((r) => (r.scripted || r.kpis?.cost_usd === null || r.kpis?.cost_usd === undefined ? [] : [r.kpis.cost_usd]));
  const cost_usd = costs.length ? Math.round(costs.reduce((a, b) => a + b, 0) * 1e6) / 1e6 : null;
  const where = { store: input.store, ...(input.stores ? { stores: input.stores } : {}), ...(input.stored !== undefined && input.stored > runs.length ? { stored: input.stored } : {}) };
  if (!withTimeline.length) return { ...where, runs, across: { run_ids, kpis: null, rows: [], cost_usd } };
  const kpis = summarizeSamples(mergeSamples(digests.filter((d): d is RunDigest => d !== null).map((d) => d.samples)));
  const bootstrapTotals = runs.filter((r) => isBootstrap(r) && r.kpis).map((r) => r.kpis!.total_s);
  return { ...where, runs, across: { run_ids, kpis, rows: [...kpiRows(kpis, targets), bootstrapRow(bootstrapTotals, targets)], cost_usd } };
}

/** A run's digest: from its events when it has them, else the one it came with (or none). Pure. */
function digestOf(r: ReportRunInput): RunDigest | null {
  if (r.events !== null) return { samples: collectSamples(r.events), milestones: describeMilestones(r.events), run_verify: describeRunVerification(r.events) };
  return r.digest ?? null;
}

function buildRun(r: ReportRunInput, digest: RunDigest | null, targets: KpiTargets, details: boolean): RunReport {
  if (digest === null) return runReportOf(r, null, [], [], []);
  const kpis = summarizeSamples(digest.samples);
  if (!details) return runReportOf(r, kpis, [], [], digest.run_verify);
  const bootstrap = isBootstrap(r) ? [kpis.total_s] : [];
  const rows = [...kpiRows(kpis, targets), bootstrapRow(bootstrap, targets)];
  return runReportOf(r, kpis, rows, digest.milestones.map((m) => ({ ...m, over: milestoneOverTargets(m, targets) })), digest.run_verify);
}

/**
 * A run's report: its input's fields but its events and digest, each named (an object rest
 * copy, `{ events, digest, ...rest }`, and spreads of it were a sixth of `report --all`'s own
 * CPU at 10,000 runs), in the order the JSON report has always shown them. Pure.
 */
function runReportOf(r: ReportRunInput, kpis: Kpis | null, rows: KpiRow[], milestones: MilestoneReport[], run_verify: MilestoneVerify[]): RunReport {
  const scripted = r.scripted ?? false;
  const { run_id, status, stop_reason, goal, task_kind, created_at, notes } = r;
  if (r.store === undefined) return { run_id, status, stop_reason, goal, task_kind, created_at, scripted, kpis, rows, milestones, run_verify, notes };
  return { run_id, status, stop_reason, goal, task_kind, created_at, store: r.store, scripted, kpis, rows, milestones, run_verify, notes };
}

/** A completed greenfield run is a bootstrap: its total time is judged against bootstrap_total_s. */
function isBootstrap(r: { status: string; task_kind: string | null }): boolean {
  return r.status === 'completed' && r.task_kind === 'greenfield';
}
