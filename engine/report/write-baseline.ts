import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, parseDocument } from 'yaml';
import type { Kpis } from '../generated/state.js';
import { packageRoot } from '../paths.js';
import { writeFileAtomic } from '../store/atomic.js';

/** The milestone-time targets a baseline sets (the seed: "set after baseline"). */
export interface Baseline {
  milestone_median_s: number;
  milestone_p90_s: number;
  /** Runs and milestones the times come from. */
  runs: number;
  milestones: number;
}

/**
 * The baseline of completed runs' pooled KPIs: their milestone time median and p90 become
 * `milestone_median_s` and `milestone_p90_s`. Null when no milestone finished. Pure.
 */
export function baselineOf(pooled: Kpis | null, runs: number): Baseline | null {
  const m = pooled?.milestone_s;
  if (!m || m.median === null || m.p90 === null || !m.count) return null;
  return { milestone_median_s: m.median, milestone_p90_s: m.p90, runs, milestones: m.count };
}

/**
 * A policy file's text with the baseline's targets set under `kpi_targets` (other keys and
 * comments kept); a new policy document when the text is empty. Pure.
 */
export function applyBaseline(text: string, b: Baseline, note: string): string {
  const doc = parseDocument(text.trim() ? text : 'apiVersion: engine/v1\nkind: Policy\n');
  if (doc.errors.length) throw new Error(doc.errors[0]!.message);
  if (doc.contents !== null && !isMap(doc.contents)) throw new Error('the file is not a policy (its top level is not a map)');
  doc.setIn(['kpi_targets', 'milestone_median_s'], b.milestone_median_s);
  doc.setIn(['kpi_targets', 'milestone_p90_s'], b.milestone_p90_s);
  // The note goes above `kpi_targets:` (a comment on the pair's key).
  const top = doc.contents;
  const pair = isMap(top) ? top.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === 'kpi_targets') : undefined;
  if (pair) {
    const key = isScalar(pair.key) ? pair.key : doc.createNode('kpi_targets');
    key.commentBefore = ` ${note}`;
    (pair as { key: unknown }).key = key;
  }
  return doc.toString();
}

/**
 * Write the baseline into a policy file (created if missing). Never into the engine's own
 * policies: the defaults stay the seed's until a repo sets its own. Impure.
 */
export function writeBaseline(file: string, b: Baseline, note: string): void {
  const own = path.join(packageRoot, 'policies');
  const real = existsSync(file) ? realpathSync(file) : path.join(realpathSync(path.dirname(file)), path.basename(file));
  if (real.startsWith(realpathSync(own) + path.sep)) throw new Error(`${file} is one of the engine's own policies; write the baseline into the repo's .engine/policy.yaml or a --policy file`);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  writeFileAtomic(file, applyBaseline(text, b, note));
}
