import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { readRunRecordJson } from '../util/read-run-record.js';
import type { RunState } from '../generated/state.js';
import { compareText } from '../util/compare-text.js';

/** A run found in a run store: its directory and its state.json. */
export interface StoredRun {
  dir: string;
  state: RunState;
}

/**
 * Every run in a store directory (each subdirectory with a readable state.json), oldest
 * first by `created_at`, then by id. A directory without a readable state.json (a run that
 * died before writing it, or anything else) is left out. Impure (reads the store).
 */
export function listRuns(storeDir: string): StoredRun[] {
  if (!existsSync(storeDir)) return [];
  const runs: StoredRun[] = [];
  for (const entry of readdirSync(storeDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(storeDir, entry.name);
    try {
      const state = readRunRecordJson(path.join(dir, 'state.json')) as RunState;
      if (typeof state.run_id === 'string' && typeof state.created_at === 'string') runs.push({ dir, state });
    } catch {
      /* not a run, or not yet one */
    }
  }
  return runs.sort((a, b) => compareText(a.state.created_at, b.state.created_at) || compareText(a.state.run_id, b.state.run_id));
}
