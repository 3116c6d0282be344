import type { TimelineEvent } from '../generated/event.js';
import type { EngineTask } from '../generated/task.js';
import type { Violation } from '../governance/check-changes.js';
import { collectSamples } from '../kpi/collect-samples.js';
import type { Determinism } from '../kpi/compare-repeats.js';

/** What a task declares of each of its runs, `expect` in either of its forms. */
export interface TaskExpect {
  /** The stop reason the run must end with. */
  stop: string;
  /** Exactly the paths the accepted plan must name (sorted), or null: not checked. */
  planned_paths: string[] | null;
  /** The most files the run may change in all, or null: not checked. */
  max_files: number | null;
}

/** `expect: completed` and `expect: {stop, planned_paths, max_files}` as one shape. Pure. */
export function expectOf(expect: EngineTask['expect']): TaskExpect {
  if (expect === undefined) return { stop: 'completed', planned_paths: null, max_files: null };
  if (typeof expect === 'string') return { stop: expect, planned_paths: null, max_files: null };
  return { stop: expect.stop, planned_paths: expect.planned_paths ? [...expect.planned_paths].sort() : null, max_files: expect.max_files ?? null };
}

/** One run of a suite task, as the suite records it. */
export interface SuiteRun extends RunOutcome {
  repeat: number;
  run_id: string | null;
  repo: string;
  run_dir: string | null;
  exit_code: number;
  detail: string;
  /** Why the run is not as declared (empty when it is). */
  problems: string[];
  /** The layer the task declares as the one stopping it, when it declares one (checked: judge-layer.ts). */
  layer?: string;
  ok: boolean;
}

/** What a run left that the suite judges, gathered from its timeline and its branch. */
export interface RunOutcome {
  /** The stop reason, `rejected` when the engine refused the task, or `interrupted`. */
  ended: string;
  /** Worker calls the run made (`worker.started`: see the worker_calls sample), and how many answers failed to parse. */
  calls: number;
  parse_failures: number;
  /** Governance violations the engine caught (`governance.violation`): stopped, not landed. */
  governance_violations: number;
  /** Every path the accepted plan named, sorted (empty without a plan). */
  planned_paths: string[];
  /** The paths that differ between the starting point and the run's branch at the end, sorted. */
  changed_paths: string[];
  /** Changed paths that break the run's governance rules: violations that landed on the branch. */
  landed: Violation[];
}

/** The counts and planned paths of one run's timeline (the rest of RunOutcome comes from git). Pure. */
export function outcomeOf(events: readonly TimelineEvent[]): Pick<RunOutcome, 'calls' | 'parse_failures' | 'governance_violations' | 'planned_paths'> {
  const samples = collectSamples(events);
  const plan = events.filter((e) => e.type === 'plan.accepted').at(-1);
  const planned = plan?.type === 'plan.accepted' ? [...new Set(plan.milestones.flatMap((m) => m.files_expected))].sort() : [];
  return { calls: samples.worker_calls, parse_failures: samples.parse_failures, governance_violations: samples.governance_violations, planned_paths: planned };
}

/**
 * Why a run is not as its task declares: another stop reason, a plan naming other paths,
 * more files changed than allowed, or any governance violation on the branch (whatever the
 * task expects: a hostile task proves a violation is stopped, never that one lands). Empty
 * when the run is as declared. Pure.
 */
export function judgeRun(run: RunOutcome, expect: TaskExpect): string[] {
  const problems: string[] = [];
  if (run.ended !== expect.stop) problems.push(`ended ${run.ended}, expected ${expect.stop}`);
  if (expect.planned_paths) {
    const missing = expect.planned_paths.filter((p) => !run.planned_paths.includes(p));
    const extra = run.planned_paths.filter((p) => !expect.planned_paths!.includes(p));
    if (missing.length || extra.length) {
      const parts = [missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `not declared ${extra.join(', ')}` : ''].filter(Boolean);
      problems.push(`planned paths differ from the task's: ${parts.join('; ')}`);
    }
  }
  if (expect.max_files !== null && run.changed_paths.length > expect.max_files) {
    problems.push(`changed ${run.changed_paths.length} files, more than max_files ${expect.max_files}: ${run.changed_paths.join(', ')}`);
  }
  if (run.landed.length) problems.push(`governance violation landed on the branch: ${run.landed.map((v) => `${v.path} (${v.rule})`).join(', ')}`);
  return problems;
}

/** Counts across a whole suite: the figures CI prints and the suite's own targets. */
export interface SuiteTotals {
  tasks: number;
  tasks_passed: number;
  runs: number;
  runs_passed: number;
  worker_calls: number;
  /** Worker calls of the runs that passed. */
  worker_calls_passed: number;
  /** Parse failures and their rate per 100 calls, over the tasks that expect `completed`. */
  parse_failures: number;
  parse_failures_per_100: number;
  /** Tasks that expect another stop (hostile ones): their failures are deliberate, counted apart. */
  hostile: { tasks: string[]; worker_calls: number; parse_failures: number };
  /** Governance violations the engine caught and stopped, and those that landed on a branch. */
  governance_violations: number;
  violations_landed: number;
  /** Tasks whose repeats planned different paths, had different test outcomes, made different trees. */
  path_variance: number;
  outcome_variance: number;
  tree_variance: number;
  /** The suite-wide targets that do not hold (the parse-failure rate; the rest fail tasks already). */
  missed: string[];
}

/** The seed's target: parse failures under 1 per 100 worker calls (strict). */
export const PARSE_FAILURES_PER_100_TARGET = 1;

/**
 * The suite's totals from its task results. The parse-failure rate is taken over the tasks
 * that must complete: a hostile task (garbage markers, a looping reviewer, …) provokes its
 * failures on purpose, so its calls and parse failures are counted apart. Pure.
 */
export function totalsOf(results: readonly { task: string; expect: string; runs: readonly SuiteRun[]; determinism: Determinism; ok: boolean }[]): SuiteTotals {
  const runs = results.flatMap((r) => r.runs);
  const hostile = results.filter((r) => r.expect !== 'completed');
  const counted = results.filter((r) => r.expect === 'completed').flatMap((r) => r.runs);
  const sum = (list: readonly SuiteRun[], f: (r: SuiteRun) => number) => list.reduce((n, r) => n + f(r), 0);
  const calls = sum(counted, (r) => r.calls);
  const parseFailures = sum(counted, (r) => r.parse_failures);
  const per100 = calls ? Math.round((parseFailures / calls) * 100 * 1000) / 1000 : 0;
  const missed: string[] = [];
  if (per100 >= PARSE_FAILURES_PER_100_TARGET) missed.push(`parse failures ${per100} per 100 calls, target < ${PARSE_FAILURES_PER_100_TARGET}`);
  const dRuns = hostile.flatMap((r) => r.runs);
  return {
    tasks: results.length,
    tasks_passed: results.filter((r) => r.ok).length,
    runs: runs.length,
    runs_passed: runs.filter((r) => r.ok).length,
    worker_calls: sum(runs, (r) => r.calls),
    worker_calls_passed: sum(runs.filter((r) => r.ok), (r) => r.calls),
    parse_failures: parseFailures,
    parse_failures_per_100: per100,
    hostile: { tasks: hostile.map((r) => r.task), worker_calls: sum(dRuns, (r) => r.calls), parse_failures: sum(dRuns, (r) => r.parse_failures) },
    governance_violations: sum(runs, (r) => r.governance_violations),
    violations_landed: sum(runs, (r) => r.landed.length),
    path_variance: results.filter((r) => !r.determinism.planned_paths).length,
    outcome_variance: results.filter((r) => !r.determinism.test_outcomes).length,
    tree_variance: results.filter((r) => !r.determinism.checkpoint_trees).length,
    missed,
  };
}
