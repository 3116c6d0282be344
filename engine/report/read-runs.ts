import { runPaths } from '../vocabulary/run-layout.js';
import type { ReportRunInput } from './build-report.js';
import { eventCheck, type IsEvent, type StoreRun } from '../store/index-runs.js';
import { describeForeignTimeline, salvageTimeline } from '../store/salvage-timeline.js';
import { readTimelineText } from '../store/timeline.js';
import { runLockHeld } from '../store/run-lock.js';
import { engineCommand } from '../vocabulary/engine-command.js';
import { shellWord } from '../util/shell-quote.js';

/** A run to read: a directory and its state, with its index entry when the store's index has one. */
export type ReportSource = Omit<StoreRun, 'index'> & { index?: StoreRun['index'] };

/**
 * What the report needs of each run: a few fields of its state.json and the events of its
 * timeline that pass the event schema, or, for a run in the store's index, the samples and
 * milestones its index line carries (what the same timeline gives). A missing or unreadable
 * timeline, or lines left out, become notes; nothing here throws for a damaged run.
 * Impure: reads the run directories and loads the event schema's validator when one needs it.
 */
export async function readReportRuns(runs: readonly ReportSource[]): Promise<ReportRunInput[]> {
  let isEvent: IsEvent | null = null;
  const out: ReportRunInput[] = [];
  for (const run of runs) {
    if (run.index) {
      const e = run.index;
      out.push({ run_id: e.run_id, status: e.status, stop_reason: e.stop_reason, goal: e.goal, task_kind: e.task_kind, created_at: e.created_at, scripted: e.scripted ?? false, events: null, digest: { samples: e.samples, milestones: e.milestones, run_verify: e.run_verify }, notes: [...e.notes] });
      continue;
    }
    isEvent ??= await eventCheck();
    out.push(readRun(run, isEvent));
  }
  return out;
}

function readRun({ dir, state }: ReportSource, isEvent: IsEvent): ReportRunInput {
  const task = (state.task ?? {}) as { goal?: unknown; kind?: unknown; scenario?: unknown };
  const base = {
    run_id: state.run_id,
    status: typeof state.status === 'string' ? state.status : 'unknown',
    stop_reason: typeof state.stop_reason === 'string' ? state.stop_reason : null,
    goal: typeof task.goal === 'string' ? task.goal : '',
    task_kind: typeof task.kind === 'string' ? task.kind : null,
    created_at: state.created_at,
    scripted: typeof task.scenario === 'string' && task.scenario !== '',
  };
  let text: string;
  try {
    text = readTimelineText(runPaths(dir).timeline);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it has no timeline.jsonl' : code === 'EFBIG' ? `its ${(error as Error).message}, not read` : `its timeline.jsonl cannot be read (${code === 'ELOOP' ? 'it is a link, not followed out of the run' : code === 'EMLINK' ? 'it has another name, a hard link to a file the run may not show' : (error as Error).message})`;
    return { ...base, events: null, notes: [`${why}; no KPIs for this run`] };
  }
  const { events, notes } = salvageTimeline(text, isEvent);
  const foreign = describeForeignTimeline(events, base.run_id);
  if (foreign) return { ...base, events: null, notes: [foreign] };
  if (base.status === 'running' && !runLockHeld(runPaths(dir).lock)) notes.push(`it says running, but no engine drives it (killed or crashed): ${engineCommand(`resume ${shellWord(base.run_id)}`)} continues it`);
  return { ...base, events, notes };
}
