import path from 'node:path';
import { readRunRecordJson } from '../util/read-run-record.js';
import { readTimelineText } from '../store/timeline.js';
import { describeForeignTimeline } from '../store/salvage-timeline.js';
import type { TimelineEvent } from '../generated/event.js';
import { factsOf, type RepeatFacts } from '../kpi/compare-repeats.js';
import { targetRow, type KpiRow, type KpiTargets } from '../kpi/targets.js';
import { parseJson } from '../util/parse-json.js';
import { seedText } from '../store/index-entry.js';
import { printable } from '../util/printable.js';
import { oneLine } from './describe-cells.js';

/** A run as determinism needs it: its task (goal and seed) and the facts repeats must share. */
export interface RepeatRun {
  run_id: string;
  goal: string;
  seed: string;
  facts: RepeatFacts;
  /** How it ended (state.json): a run interrupted, or still going (or crashed), is no repeat to compare. */
  status: string;
  stop_reason: string | null;
}

export interface DeterminismGroup {
  goal: string;
  seed: string;
  run_ids: string[];
  /** Distinct planned-path sets among the repeats, less one (0: all planned the same paths). */
  path_variance: number;
  /** Distinct test-outcome sequences among the repeats, less one (0: the same outcomes). */
  outcome_variance: number;
}

export interface DeterminismReport {
  /** Every task (goal + seed) run more than once among the selected runs. */
  groups: DeterminismGroup[];
  /** Selected runs not compared: interrupted by a signal, blocked before their first step, or not finished (running, crashed). */
  not_compared: string[];
  path_variance: number;
  outcome_variance: number;
  rows: KpiRow[];
}

/**
 * Determinism as a KPI (contract §8): the selected runs grouped by task (same goal and seed);
 * in each group of two or more, how many different planned-path sets and test-outcome
 * sequences the repeats gave beyond the first. The totals are judged against
 * `kpi_targets.path_variance` and `outcome_variance` (0). Pure.
 */
export function determinismOf(runs: readonly RepeatRun[], targets: Pick<KpiTargets, 'path_variance' | 'outcome_variance'>): DeterminismReport {
  const byTask = new Map<string, RepeatRun[]>();
  const notCompared: string[] = [];
  for (const r of runs) {
    // A run a person stopped (Ctrl-C) or one not finished went as far as it was let: that it
    // reached fewer verifications says nothing of the engine's determinism.
    if (!isComparable(r)) {
      notCompared.push(r.run_id);
      continue;
    }
    const key = JSON.stringify([r.goal, r.seed]);
    const list = byTask.get(key);
    if (list) list.push(r);
    else byTask.set(key, [r]);
  }
  const groups: DeterminismGroup[] = [];
  for (const list of byTask.values()) {
    if (list.length < 2) continue;
    const distinct = (pick: (f: RepeatFacts) => unknown) => new Set(list.map((r) => JSON.stringify(pick(r.facts)))).size - 1;
    groups.push({ goal: list[0]!.goal, seed: list[0]!.seed, run_ids: list.map((r) => r.run_id), path_variance: distinct((f) => f.planned_paths), outcome_variance: distinct((f) => f.test_outcomes) });
  }
  const sum = (pick: (g: DeterminismGroup) => number) => groups.reduce((n, g) => n + pick(g), 0);
  const path_variance = sum((g) => g.path_variance);
  const outcome_variance = sum((g) => g.outcome_variance);
  const judged = groups.length > 0;
  const rows = [targetRow('path_variance', judged ? path_variance : null, targets), targetRow('outcome_variance', judged ? outcome_variance : null, targets)];
  return { groups, not_compared: notCompared, path_variance, outcome_variance, rows };
}

/**
 * A run that ended on its own: completed, or stopped for any reason but an interruption or a
 * doctor's block (stopped before its first step: it planned and tested nothing). Pure.
 */
function isComparable(r: Pick<RepeatRun, 'status' | 'stop_reason'>): boolean {
  return r.status === 'completed' || (r.status === 'stopped' && r.stop_reason !== 'interrupted' && r.stop_reason !== 'doctor_blocked');
}

/** A run directory's task and repeat facts, from state.json and the timeline; null when unreadable or the timeline is another run's. Impure. */
export function readRepeatRun(dir: string): RepeatRun | null {
  try {
    const state = readRunRecordJson(path.join(dir, 'state.json')) as { run_id: string; seed?: unknown; task?: { goal?: unknown }; status?: unknown; stop_reason?: unknown };
    const events: TimelineEvent[] = [];
    for (const line of readTimelineText(path.join(dir, 'timeline.jsonl')).split('\n')) {
      if (!line.trim()) continue;
      try {
        events.push(parseJson(line) as TimelineEvent);
      } catch {
        /* a torn line: the report's own reader notes it */
      }
    }
    // Another run's timeline (a copied run directory) is no repeat of the task.
    if (describeForeignTimeline(events, state.run_id)) return null;
    return { run_id: state.run_id, goal: typeof state.task?.goal === 'string' ? state.task.goal : '', seed: seedText(state.seed), facts: factsOf(events), status: typeof state.status === 'string' ? state.status : 'unknown', stop_reason: typeof state.stop_reason === 'string' ? state.stop_reason : null };
  } catch {
    return null;
  }
}

/** The determinism section of the text report. Pure. */
export function renderDeterminism(d: DeterminismReport): string {
  if (!d.groups.length) return '\nDeterminism: no task (goal and seed) was run more than once among the selected runs\n';
  const lines = ['', 'Determinism across repeats of a task (same goal and seed)'];
  for (const g of d.groups) lines.push(`  ${g.run_ids.length} runs of "${oneLine(g.goal)}" (seed ${oneLine(String(g.seed))}): path variance ${g.path_variance}, outcome variance ${g.outcome_variance}`);
  for (const r of d.rows) lines.push(`  ${r.name}  ${r.value}  ${r.op} ${r.target}  ${r.ok ? 'ok' : 'over'}`);
  if (d.not_compared.length) lines.push(`  not compared: ${d.not_compared.length} run${d.not_compared.length === 1 ? '' : 's'} interrupted, blocked before a step or not finished (${d.not_compared.slice(0, 5).map((id) => oneLine(id)).join(', ')}${d.not_compared.length > 5 ? ', …' : ''})`);
  // Goals, seeds and run ids come from records a worker or a task file wrote: shown, never
  // obeyed by the terminal (docs/report.md), as the text report above them.
  return printable(lines.join('\n')) + '\n';
}
