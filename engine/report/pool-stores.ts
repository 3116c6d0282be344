import type { SelectableRun } from './select-runs.js';
import { compareText } from '../util/compare-text.js';

/** The runs of one store, as `loadStoreRuns` gives them. */
export interface StoreRuns<R extends SelectableRun> {
  store: string;
  runs: readonly R[];
}

/** A run id found in more than one store, with every store that holds it. */
export interface DuplicateRun {
  run_id: string;
  stores: string[];
}

export type PooledRuns<R extends SelectableRun> = { ok: true; runs: (R & { store: string })[] } | { ok: false; duplicates: DuplicateRun[] };

type Dated = SelectableRun & { state: { run_id: string; created_at: string } };

/**
 * The runs of several stores as one list, oldest first (by `created_at`, then id, as one
 * store orders them), each tagged with its store. A run id in two stores is refused, with
 * every such id and its stores: pooling it twice would count its calls and milestones twice
 * (a store given twice, a shard's artifact downloaded twice), and keeping both apart would
 * make `engine report <run-id>` ambiguous. Pure.
 */
export function poolStores<R extends Dated>(stores: readonly StoreRuns<R>[]): PooledRuns<R> {
  const where = new Map<string, string[]>();
  const runs: (R & { store: string })[] = [];
  for (const { store, runs: list } of stores) {
    for (const run of list) {
      const seen = where.get(run.state.run_id);
      if (seen) seen.push(store);
      else where.set(run.state.run_id, [store]);
      runs.push({ ...run, store });
    }
  }
  const duplicates = [...where].filter(([, s]) => s.length > 1).map(([run_id, s]) => ({ run_id, stores: s }));
  if (duplicates.length) return { ok: false, duplicates };
  runs.sort((a, b) => compareText(a.state.created_at, b.state.created_at) || compareText(a.state.run_id, b.state.run_id));
  return { ok: true, runs };
}
