import { collectSamples } from '../kpi/collect-samples.js';
import type { RunIndexEntry } from './run-index.js';
import type { MilestoneRecord, MilestoneVerify } from '../kpi/describe-milestones.js';
import type { RepeatFacts } from '../kpi/compare-repeats.js';
import { isRunId } from '../vocabulary/run-layout.js';

// An index line's hash says it was not torn, not who wrote it: without the OS sandbox a
// worker can append a line of its own, hash and all. A line whose run is not shaped as the
// engine writes it is a damaged line (read from its directory instead), never a crash in a
// reader: every field a reader touches is checked here, down to the numbers in the samples.

type Check = (v: unknown) => boolean;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str: Check = (v) => typeof v === 'string';
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
// Every time, count, size and price the engine records is at least 0 (an exit code aside).
const measure: Check = (v) => num(v) && (v as number) >= 0;
const bool: Check = (v) => typeof v === 'boolean';
const nullable = (c: Check): Check => (v) => v === null || c(v);
const optional = (c: Check): Check => (v) => v === undefined || c(v);
// Plain loops over lists made once: `report --all` checks every line of an index of 10,000
// runs, and `every` over `Object.entries` made the check a tenth of the report.
const arrayOf = (c: Check): Check => (v) => {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (!c(v[i])) return false;
  return true;
};
/** A check of every field of T (the type names them all, so a field added to T must be checked here too). */
const shape = <T>(fields: Record<keyof T & string, Check>): Check => {
  const keys = Object.keys(fields);
  const checks = keys.map((k) => (fields as Record<string, Check>)[k]!);
  return (v) => {
    if (!isObject(v)) return false;
    for (let i = 0; i < keys.length; i++) if (!checks[i]!(v[keys[i]!])) return false;
    return true;
  };
};
const oneOf = (values: readonly string[]): Check => (v) => typeof v === 'string' && values.includes(v);

const verify = shape<MilestoneVerify>({ tier: str, pass: bool, skipped: bool, duration_s: measure });

const milestone = shape<MilestoneRecord>({
  index: measure,
  id: str,
  goal: str,
  status: oneOf(['done', 'started', 'not_started']),
  duration_s: nullable(measure),
  worker_calls: measure,
  attempts: measure,
  parse_failures: measure,
  retried: bool,
  verify: arrayOf(verify),
  review_skipped_reason: nullable(str),
  reviews: optional(measure),
  review_verdict: optional(nullable(str)),
  governance_violations: measure,
  checkpoint: nullable(shape<NonNullable<MilestoneRecord['checkpoint']>>({ sha: str, files: measure, added: measure, removed: measure })),
});

const repeat = shape<RepeatFacts>({
  planned_paths: arrayOf(arrayOf(str)),
  test_outcomes: arrayOf(shape<RepeatFacts['test_outcomes'][number]>({ tier: str, pass: bool, exit_codes: arrayOf(nullable(num)) })),
  checkpoint_trees: arrayOf(str),
});

/** A sample's value shaped as the engine makes it: the value an empty run has shows its kind. */
function sampleCheck(empty: unknown): Check {
  if (typeof empty === 'number') return measure;
  if (empty === null) return nullable(measure);
  if (Array.isArray(empty)) return arrayOf(measure);
  // Counts by key ({ input, output }, a tally) or lists by key (verify_ms by tier).
  const numbers = arrayOf(measure);
  return (v) => {
    if (!isObject(v)) return false;
    for (const k in v) if (!measure(v[k]) && !numbers(v[k])) return false;
    return true;
  };
}

let samplesCheck: Check | null = null;

/** Every sample of the KPI table present, each of its kind. Lines without some sample are read again by the report. */
function samples(v: unknown): boolean {
  samplesCheck ??= (() => {
    const fields = Object.fromEntries(Object.entries(collectSamples([])).map(([k, empty]) => [k, optional(sampleCheck(empty))]));
    return shape<Record<string, unknown>>(fields);
  })();
  return samplesCheck(v);
}

const entry = shape<RunIndexEntry>({
  v: (v) => v === 2,
  run_id: str,
  // A run's directory in the store: one name, never a path out of it.
  dir: (v) => typeof v === 'string' && isRunId(v),
  repo: str,
  status: str,
  stop_reason: nullable(str),
  goal: str,
  task_kind: nullable(str),
  scripted: optional(bool),
  created_at: str,
  finished_at: str,
  timeline_bytes: measure,
  state_bytes: optional(measure),
  tier0: shape<RunIndexEntry['tier0']>({ runs: measure, passed: measure, last_pass: nullable(bool) }),
  samples,
  milestones: arrayOf(milestone),
  run_verify: arrayOf(verify),
  notes: arrayOf(str),
  seed: optional(str),
  repeat: optional(repeat),
});

/** Whether a parsed index line is an entry as the engine writes them (older lines lack the optional fields). Pure. */
export function isIndexEntry(value: unknown): value is RunIndexEntry {
  return entry(value);
}
