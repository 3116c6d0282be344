import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { indexEntryOf } from '../store/index-entry.js';
import { loadStoreRuns } from '../store/index-runs.js';
import { listRuns } from '../store/list-runs.js';
import { appendRunIndex, recentRunsFromIndex, RUN_INDEX, stateBytes, timelineBytes, type IndexedPastRun } from '../store/run-index.js';
import type { PastRun } from './select-tier.js';
import type { Runtime } from './types.js';
import { redactDeep } from './run-secrets.js';

/**
 * Add a finished run to its store's index (one appended line). When the store has no index
 * yet, a line is written only if this run is the store's only one: an index that exists
 * holds every finished run, and a store of older runs gets its index whole, from their
 * directories, at the next `report` or `tier: auto` step. Never fails the run: the index is
 * derived data, and readers repair it. Impure.
 */
export function indexFinishedRun(rt: Runtime): void {
  try {
    const store = path.dirname(rt.paths.dir);
    const self = path.basename(rt.paths.dir);
    if (!existsSync(path.join(store, RUN_INDEX)) && readdirSync(store, { withFileTypes: true }).some((d) => d.isDirectory() && d.name !== self)) return;
    // Redacted as state.json is: the in-memory state holds the goal and detail as given, and
    // a secret in them reached the index, and every `engine report` after.
    const entry = redactDeep(indexEntryOf(rt.state, rt.events, { dir: self, timelineBytes: timelineBytes(rt.paths.dir) ?? 0, stateBytes: stateBytes(rt.paths.dir), notes: [] }), rt.secrets);
    appendRunIndex(store, entry);
  } catch {
    /* the next reader finds the run missing from the index and adds it */
  }
}

/**
 * The finished runs on this repo before this one that tier0_fast's history needs (the last
 * `require_green_runs`, oldest first), from the store's index: a `tier: auto` step reads the
 * end of the index, whatever the size of the store. A store without an index gets one first
 * (from its run directories, once); where it cannot be written, the store is scanned as
 * before. Impure.
 */
export async function pastRunsOf(rt: Runtime): Promise<PastRun[]> {
  const store = path.dirname(rt.paths.dir);
  const need = rt.policy.tier0_fast.require_green_runs;
  let recent = recentRunsFromIndex(store, rt.repo, rt.state.run_id, need);
  if (recent === null) {
    await loadStoreRuns(store);
    recent = recentRunsFromIndex(store, rt.repo, rt.state.run_id, need);
  }
  if (recent !== null) return recent.map((r) => ({ run_id: r.run_id, stop_reason: r.stop_reason, samples: r.samples }));
  return listRuns(store)
    .filter((r) => r.state.run_id !== rt.state.run_id && r.state.status !== 'running' && path.resolve(r.state.repo) === path.resolve(rt.repo))
    .map((r) => ({ run_id: r.state.run_id, stop_reason: r.state.stop_reason }));
}

/**
 * The last `n` finished runs on this repo before this one, with their KPI samples, from the
 * store's index (made first when missing); none when the index cannot be read. Impure.
 */
export async function recentRunsOf(rt: Runtime, n: number): Promise<IndexedPastRun[]> {
  const store = path.dirname(rt.paths.dir);
  let recent = recentRunsFromIndex(store, rt.repo, rt.state.run_id, n);
  if (recent === null) {
    await loadStoreRuns(store);
    recent = recentRunsFromIndex(store, rt.repo, rt.state.run_id, n);
  }
  return recent ?? [];
}
