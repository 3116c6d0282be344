import { readdirSync, existsSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { readRunRecordJson } from '../util/read-run-record.js';
import { loadValidator } from '../config/validators.js';
import { hasEverySample } from '../kpi/collect-samples.js';
import type { RunState } from '../generated/state.js';
import { indexEntryOf } from './index-entry.js';
import { readRunIndex, rewriteRunIndex, stateBytes, timelineBytes, type RunIndexEntry } from './run-index.js';
import { describeForeignTimeline, salvageTimeline } from './salvage-timeline.js';
import { readTimelineBytes } from './timeline.js';
import { compareText } from '../util/compare-text.js';
import { assertStoreDir } from './check-store-dir.js';

/** The state.json fields the report reads of a run. */
export type ReportState = Pick<RunState, 'run_id' | 'created_at'> & Partial<Pick<RunState, 'status' | 'stop_reason' | 'task' | 'repo' | 'seed'>>;

/** A run of the store for `report`: its directory, its state, and its index entry when it has one. */
export interface StoreRun {
  dir: string;
  state: ReportState;
  /** The run's entry (finished runs); null for a run still going or without a timeline. */
  index: RunIndexEntry | null;
}

/** A predicate for timeline events (the event schema's validator). */
export type IsEvent = (value: unknown) => boolean;

/** The event schema as a predicate (every value passes when the schema cannot be loaded). Impure. */
export async function eventCheck(): Promise<IsEvent> {
  const validator = await loadValidator('event');
  return (value: unknown) => (validator ? validator.validate(value).length === 0 : true);
}

/**
 * Every run of a store (each subdirectory with a readable state.json), oldest first by
 * `created_at` then id, as `listRuns` orders them, with finished runs taken from the store's
 * index (`index.jsonl`) instead of their directories. The index is checked against the
 * store: a run directory it lacks, or whose timeline has grown since its line was written
 * (a resumed run), is read from the directory; a line for a directory that is gone is
 * dropped. When anything was missing, stale, torn or altered the index is rewritten from
 * what was found. A store that is no directory (a file, a FIFO) is InputError (E_FILE).
 * Impure (reads the store, may rewrite the index).
 */
export async function loadStoreRuns(storeDir: string): Promise<StoreRun[]> {
  return (await loadStore(storeDir)).runs;
}

/** A store's runs (loadStoreRuns), and the run directories it passed over: their state.json is there but cannot be read. */
export interface LoadedStore {
  runs: StoreRun[];
  /** Directory names, sorted: a state.json damaged, too large, or no regular file (without the OS sandbox a worker can rewrite it). */
  unreadable: string[];
}

/** loadStoreRuns, with the directories whose state.json could not be read named. Impure. */
export async function loadStore(storeDir: string): Promise<LoadedStore> {
  assertStoreDir(storeDir);
  if (!existsSync(storeDir)) return { runs: [], unreadable: [] };
  const unreadable: string[] = [];
  const index = readRunIndex(storeDir);
  const runs: StoreRun[] = [];
  const kept: RunIndexEntry[] = [];
  const fresh: RunIndexEntry[] = [];
  let isEvent: IsEvent | null = null;
  // Names joined as text, not by path.join (which normalises every one): the store's path is
  // resolved and a directory entry's name is one plain name.
  const base = storeDir.endsWith('/') ? storeDir : `${storeDir}/`;
  for (const d of readdirSync(storeDir, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const dir = base + d.name;
    const entry = index.entries.get(d.name);
    // A line written before `scripted`, the milestones' reviews, one of the KPI samples or the repeat facts existed is made again (from the run's state and timeline).
    // A state.json cut short or rewritten since the line was made: read as the index were not there.
    if (entry && entry.scripted !== undefined && entry.repeat !== undefined && entry.state_bytes !== undefined && entry.milestones.every((m) => m.reviews !== undefined) && hasEverySample(entry.samples) && timelineBytes(dir) === entry.timeline_bytes && stateBytes(dir) === entry.state_bytes) {
      kept.push(entry);
      runs.push({ dir, state: stateOf(entry), index: entry });
      continue;
    }
    const state = readState(dir);
    if (!state) {
      // No state.json is a run being made (or killed while it was): not a run yet, nothing to say.
      if (hasEntry(`${dir}/state.json`)) unreadable.push(d.name);
      continue;
    }
    if (state.status === 'running') {
      runs.push({ dir, state, index: null });
      continue;
    }
    isEvent ??= await eventCheck();
    const made = entryFromDisk(dir, state, isEvent);
    if (made) fresh.push(made);
    runs.push({ dir, state, index: made });
  }
  const stale = !index.exists || index.damaged > 0 || index.superseded > 0 || fresh.length > 0 || kept.length !== index.entries.size;
  if (stale) {
    try {
      rewriteRunIndex(storeDir, [...kept, ...fresh].sort(byCreated));
    } catch {
      /* a read-only store: the report still stands, from the directories */
    }
  }
  runs.sort((a, b) => compareText(a.state.created_at, b.state.created_at) || compareText(a.state.run_id, b.state.run_id));
  return { runs, unreadable: unreadable.sort(compareText) };
}

/**
 * A finished run's index entry made from its directory: state.json and the events of its
 * timeline that pass the event schema (the report's own reading). Null without a timeline,
 * a readable state, or with a timeline of another run (describeForeignTimeline). Impure.
 */
export function entryFromDisk(dir: string, state: ReportState, isEvent: IsEvent): RunIndexEntry | null {
  let bytes: Buffer;
  try {
    // Past what the engine writes: not read (MAX_TIMELINE_BYTES), as a run without a timeline.
    bytes = readTimelineBytes(path.join(dir, 'timeline.jsonl'));
  } catch {
    return null;
  }
  const { events, notes } = salvageTimeline(bytes.toString('utf8'), isEvent);
  // Another run's timeline: no entry, the report reads the run from its directory and says so.
  if (describeForeignTimeline(events, state.run_id)) return null;
  return indexEntryOf({ ...state, repo: state.repo ?? '', status: state.status ?? 'unknown', stop_reason: state.stop_reason ?? null }, events, { dir: path.basename(dir), timelineBytes: bytes.length, stateBytes: stateBytes(dir), notes });
}

/** A run's state.json when it is one (a run id and a creation time). Impure. */
export function readState(dir: string): ReportState | null {
  try {
    const state = readRunRecordJson(path.join(dir, 'state.json')) as ReportState;
    return typeof state.run_id === 'string' && typeof state.created_at === 'string' ? state : null;
  } catch {
    return null;
  }
}

/**
 * Whether anything is at `file` (a link that leads nowhere too). A directory the engine may
 * not search (a worker's `chmod 000`) holds nothing it can read: true, and never thrown, as
 * its lstat's EACCES was out of `report`, `resume latest` and every `tier: auto` step. Impure.
 */
function hasEntry(file: string): boolean {
  try {
    return lstatSync(file, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return true;
  }
}

function stateOf(e: RunIndexEntry): ReportState {
  return { run_id: e.run_id, created_at: e.created_at, status: e.status as RunState['status'], stop_reason: e.stop_reason as RunState['stop_reason'], task: { goal: e.goal, kind: e.task_kind, scenario: e.scripted ? 'scripted' : null } as unknown as RunState['task'], repo: e.repo };
}

function byCreated(a: RunIndexEntry, b: RunIndexEntry): number {
  return compareText(a.created_at, b.created_at) || compareText(a.run_id, b.run_id);
}
