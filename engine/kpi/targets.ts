import type { Kpis } from '../generated/state.js';
import type { MilestoneRecord } from './describe-milestones.js';
import { KPIS, labelOf, TARGET_KEYS, valueOf, type KpiTargets, type TargetKey } from './definitions.js';
import { maxOf } from '../util/many.js';

export type { KpiTargets, TargetKey } from './definitions.js';

export interface KpiRow {
  name: string;
  value: number | null;
  target: number;
  /** The comparison the target asks for: `<` for the seed's strict targets ("< 1 per 100"), else `≤`. */
  op: '<' | '≤';
  /** null when there is no value to judge. */
  ok: boolean | null;
}

/** One KPI against its target, by its key in the KPIS table (null or undefined: nothing to judge). Pure. */
export function targetRow<K extends TargetKey>(key: K, value: number | null | undefined, t: Pick<KpiTargets, K>): KpiRow {
  const d = KPIS[key];
  const target = t[key];
  return { name: labelOf(d), value: value ?? null, target, op: d.op, ok: value === null || value === undefined ? null : holds(value, d.op, target) };
}

/** Whether a KPI's value is over its target under the KPI's comparison (a value on a strict target is over). Pure. */
export function exceeds<K extends TargetKey>(key: K, value: number, t: Pick<KpiTargets, K>): boolean {
  return !holds(value, KPIS[key].op, t[key]);
}

/** A KPI's target as text: `≤ 4`, `< 1`. Pure. */
export function targetText<K extends TargetKey>(key: K, t: Pick<KpiTargets, K>): string {
  return `${KPIS[key].op} ${t[key]}`;
}

/**
 * Each KPI of a run (or a pool of runs) that has a target, in the KPIS table's order, with its
 * value and whether it holds (`≤ target`, or `< target` for the targets the seed states
 * strictly). An `optional` KPI has a row only when the run has its measure. Pure.
 */
export function kpiRows(k: Kpis, t: KpiTargets): KpiRow[] {
  return TARGET_KEYS.flatMap((key) => {
    const d = KPIS[key];
    if (d.scope !== 'run') return [];
    const value = valueOf(d, k);
    return 'optional' in d && d.optional && value === undefined ? [] : [targetRow(key, value, t)];
  });
}

/**
 * The bootstrap target: the longest total step time of the completed greenfield runs given
 * (`total_s` of each), against `bootstrap_total_s`. A run that stopped has no end-to-end
 * time, so it is not judged here. Pure.
 */
export function bootstrapRow(completedGreenfieldTotals: readonly number[], t: KpiTargets): KpiRow {
  return targetRow('bootstrap_total_s', completedGreenfieldTotals.length ? maxOf(completedGreenfieldTotals) : null, t);
}

/**
 * The targets one milestone is above on its own, in table order: each KPI with a `milestone`
 * reading (its time, its calls, each tier0 and tier1 run) whose value is above the target.
 * Above, whatever the KPI's comparison: a milestone exactly on a strict target is not marked. Pure.
 */
export function milestoneOverTargets(m: MilestoneRecord, t: KpiTargets): TargetKey[] {
  return TARGET_KEYS.filter((key) => KPIS[key].milestone?.(m).some((v) => v > t[key]));
}

/** The KPI table as Markdown. Pure. */
export function renderKpiTable(rows: readonly KpiRow[]): string {
  const lines = ['| KPI | value | target | |', '| --- | ---: | ---: | --- |'];
  for (const r of rows) {
    const mark = r.ok === null ? '–' : r.ok ? 'ok' : 'over';
    lines.push(`| ${r.name} | ${r.value ?? '–'} | ${r.op} ${r.target} | ${mark} |`);
  }
  return lines.join('\n') + '\n';
}

/** Whether a value meets its target under the comparison. Pure. */
export function holds(value: number, op: '<' | '≤', target: number): boolean {
  return op === '<' ? value < target : value <= target;
}
