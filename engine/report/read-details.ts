import { readdirSync } from 'node:fs';
import path from 'node:path';
import { buildTimeline, type RunTimeline } from './build-timeline.js';
import type { IsEvent } from '../store/index-runs.js';
import { describeForeignTimeline, salvageTimeline } from '../store/salvage-timeline.js';
import { readTimelineText } from '../store/timeline.js';
import { kindOfPath } from '../util/kind-of-path.js';
import { isOwnRecordFile } from '../util/own-names.js';

/** What the HTML page draws and links for a run beyond the report's numbers. */
export interface RunDetails {
  /** The run's directory, relative to the page's `storeHref` (its name in the store; the CLI gives it relative to the page). */
  dir: string;
  timeline: RunTimeline | null;
  /** The run's records that exist, relative to its directory, `/`-separated, sorted. */
  files: string[];
}

/** The records a report links to (each only when it exists). */
const TOP_FILES = ['summary.md', 'memo.md', 'timeline.jsonl', 'state.json', 'env.json'];
const CALL_FILES = ['prompt.md', 'text.md', 'stdout.log', 'stderr.log', 'events.jsonl', 'meta.json'];

/**
 * A run's timeline (from its timeline.jsonl, the lines that pass the event schema) and the
 * records it has to link to: summary.md, memo.md, attempted patches, each call's prompt,
 * answer and transcript, each verification log. Nothing here throws for a damaged run.
 * With `runId`, a timeline whose run.started names another run is not drawn.
 * Impure (reads the run directory).
 */
export function readRunDetails(runDir: string, isEvent: IsEvent, runId?: string): RunDetails {
  const files: string[] = [];
  // A regular file itself, never a link, with no other name: the engine writes no record as
  // either, and the page would lead to a file outside the store through one a worker put there.
  const has = (rel: string) => isOwnRecordFile(path.join(runDir, rel));
  for (const f of TOP_FILES) if (has(f)) files.push(f);
  for (const f of list(runDir)) if (/^attempted(-\d+)?\.patch$/.test(f) && has(f)) files.push(f);
  for (const call of list(path.join(runDir, 'calls'))) if (isFolder(path.join(runDir, 'calls', call))) for (const f of CALL_FILES) if (has(`calls/${call}/${f}`)) files.push(`calls/${call}/${f}`);
  for (const log of list(path.join(runDir, 'verify'))) if (has(`verify/${log}`)) files.push(`verify/${log}`);
  let timeline: RunTimeline | null = null;
  try {
    const { events } = salvageTimeline(readTimelineText(path.join(runDir, 'timeline.jsonl')), isEvent);
    // Another run's timeline is not drawn as this run's (the report says whose it is).
    timeline = runId !== undefined && describeForeignTimeline(events, runId) ? null : buildTimeline(events);
  } catch {
    timeline = null;
  }
  return { dir: path.basename(runDir), timeline, files: files.sort() };
}

/** The names in a folder of the run, sorted; none when it is a link (to a folder outside the store) or no folder. */
function list(dir: string): string[] {
  try {
    if (!isFolder(dir)) return [];
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Whether `dir` is a folder itself, not a link to one. */
function isFolder(dir: string): boolean {
  return kindOfPath(dir, { noFollow: true }) === 'directory';
}
