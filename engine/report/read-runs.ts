import { readFileSync } from 'node:fs';
import { loadValidator } from '../config/validators.js';
import { runPaths } from '../runtime/run-dir.js';
import type { StoredRun } from '../store/list-runs.js';
import type { ReportRunInput } from './build-report.js';
import { salvageTimeline } from './salvage-timeline.js';

/**
 * What the report needs of each run: a few fields of its state.json (as `listRuns` read
 * it) and the events of its timeline that pass the event schema. A missing or unreadable
 * timeline, or lines left out, become notes; nothing here throws for a damaged run.
 * Impure: reads the run directories and loads the event schema's validator.
 */
export async function readReportRuns(runs: readonly StoredRun[]): Promise<ReportRunInput[]> {
  const validator = await loadValidator('event');
  const isEvent = (value: unknown) => (validator ? validator.validate(value).length === 0 : true);
  return runs.map((run) => readRun(run, isEvent));
}

function readRun({ dir, state }: StoredRun, isEvent: (value: unknown) => boolean): ReportRunInput {
  const task = (state.task ?? {}) as Partial<StoredRun['state']['task']>;
  const base = {
    run_id: state.run_id,
    status: typeof state.status === 'string' ? state.status : 'unknown',
    stop_reason: typeof state.stop_reason === 'string' ? state.stop_reason : null,
    goal: typeof task.goal === 'string' ? task.goal : '',
    task_kind: typeof task.kind === 'string' ? task.kind : null,
    created_at: state.created_at,
  };
  let text: string;
  try {
    text = readFileSync(runPaths(dir).timeline, 'utf8');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it has no timeline.jsonl' : `its timeline.jsonl cannot be read (${(error as Error).message})`;
    return { ...base, events: null, notes: [`${why}; no KPIs for this run`] };
  }
  const { events, notes } = salvageTimeline(text, isEvent);
  return { ...base, events, notes };
}
