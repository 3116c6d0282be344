import type { TimelineEvent } from '../generated/event.js';
import type { RunIndexEntry } from './run-index.js';
import { collectSamples } from '../kpi/collect-samples.js';
import { describeMilestones, describeRunVerification } from '../kpi/describe-milestones.js';
import { factsOf } from '../kpi/compare-repeats.js';

/** The state.json fields an index entry keeps. */
export interface IndexedState {
  run_id: string;
  repo: string;
  status: string;
  stop_reason: string | null;
  created_at: string;
  updated_at?: string;
  task?: { goal?: unknown; kind?: unknown; scenario?: unknown } | null;
  seed?: unknown;
}

/**
 * A finished run's line in the store's index, from its state and its timeline's events: the
 * same samples, milestones and run-end verification `report` derives from the timeline, so
 * a report from the index and one from the run directories are the same. Pure.
 */
export function indexEntryOf(state: IndexedState, events: readonly TimelineEvent[], where: { dir: string; timelineBytes: number; stateBytes?: number | null; notes: string[] }): RunIndexEntry {
  const task = state.task ?? {};
  const finished = [...events].reverse().find((e) => e.type === 'run.finished');
  let runs = 0;
  let passed = 0;
  let last: boolean | null = null;
  for (const e of events) {
    if (e.type !== 'verify.finished' || (e.tier !== 'tier0' && e.tier !== 'tier0_fast') || e.skipped) continue;
    runs++;
    if (e.pass) passed++;
    last = e.pass;
  }
  return {
    v: 2,
    run_id: state.run_id,
    dir: where.dir,
    repo: state.repo,
    status: typeof state.status === 'string' ? state.status : 'unknown',
    stop_reason: typeof state.stop_reason === 'string' ? state.stop_reason : null,
    goal: typeof task.goal === 'string' ? task.goal : '',
    task_kind: typeof task.kind === 'string' ? task.kind : null,
    scripted: typeof task.scenario === 'string' && task.scenario !== '',
    created_at: state.created_at,
    finished_at: finished?.ts ?? state.updated_at ?? state.created_at,
    timeline_bytes: where.timelineBytes,
    ...(typeof where.stateBytes === 'number' ? { state_bytes: where.stateBytes } : {}),
    tier0: { runs, passed, last_pass: last },
    samples: collectSamples(events),
    milestones: describeMilestones(events),
    run_verify: describeRunVerification(events),
    notes: where.notes,
    seed: seedText(state.seed),
    repeat: factsOf(events),
  };
}

/** A run's seed as the index and the report key repeats by it: a number's or a string's text, else empty (a forged record's object is no seed). Pure. */
export function seedText(seed: unknown): string {
  return typeof seed === 'number' || typeof seed === 'string' ? String(seed) : '';
}
