import { closeSync, fstatSync, lstatSync, readSync, renameSync } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { readRunRecordJson } from '../util/read-run-record.js';
import { hasOwnNamesOnly } from '../util/own-names.js';
import { openRegularSync } from '../util/open-regular.js';
import type { KpiSamples } from '../kpi/collect-samples.js';
import type { MilestoneRecord, MilestoneVerify } from '../kpi/describe-milestones.js';
import type { RepeatFacts } from '../kpi/compare-repeats.js';
import { compareText } from '../util/compare-text.js';
import { isIndexEntry } from './check-index-entry.js';
import { appendOwnLine, writeFreshFile } from '../util/open-own-file.js';
import { sha256Hex } from '../util/sha256-hex.js';

/** The file name of a run store's index of finished runs (`<store>/index.jsonl`). */
export const RUN_INDEX = 'index.jsonl';

/**
 * What a finished run leaves in the store's index: enough for `report` (its KPI samples,
 * milestones and run-end verification, exactly as the report derives them from the
 * timeline) and for tier0_fast's history (status, stop reason, repo, times), without
 * reading its directory. `timeline_bytes` is the timeline's size when the line was written:
 * a run whose timeline has grown since (resumed) is read from its directory instead.
 */
export interface RunIndexEntry {
  /**
   * 2 since lines are made from timelines read with their seq order, no negative measure and
   * their run.started's run id checked: a line of 1 may carry what a copied or forged timeline
   * said, and is made again from its run.
   */
  v: 2;
  run_id: string;
  /** The run's directory name in the store. */
  dir: string;
  repo: string;
  status: string;
  stop_reason: string | null;
  goal: string;
  task_kind: string | null;
  /** Served by the scripted model (the task names a scenario): its cost is not real. Lines written before it existed lack it. */
  scripted?: boolean;
  created_at: string;
  /** When it finished (the `run.finished` event, else when the index line was made). */
  finished_at: string;
  timeline_bytes: number;
  /**
   * Its state.json's size when the line was written: a run whose state.json was cut short or
   * rewritten since is read from its directory (and said, when it cannot be read), as a report
   * without the index reads it. Lines written before it existed lack it (and are made again).
   */
  state_bytes?: number;
  /** Its tier0 runs (tier0_fast standing in included) and the last one's result. */
  tier0: { runs: number; passed: number; last_pass: boolean | null };
  samples: KpiSamples;
  milestones: MilestoneRecord[];
  run_verify: MilestoneVerify[];
  /** What the reader had to leave out of the timeline (as `report` notes). */
  notes: string[];
  /** The run's seed, as text (determinism groups repeats by goal and seed). Lines written before it existed lack it. */
  seed?: string;
  /** What repeats of its task must share (planned paths, test outcomes, checkpoint trees). Lines written before it existed lack it. */
  repeat?: RepeatFacts;
}

/** One finished run from the index, as tier0_fast's history needs it. */
export interface IndexedPastRun {
  run_id: string;
  stop_reason: string | null;
  created_at: string;
  /** The run's KPI samples as indexed (what the KPI decisions of later runs read). */
  samples?: RunIndexEntry['samples'];
}

const PREFIX = '{"sha256":"';
const MIDDLE = '","run":';

/** The index line of an entry: `{"sha256":"<hash of the run JSON>","run":<run JSON>}\n`. Pure. */
export function formatIndexLine(entry: RunIndexEntry): string {
  const json = JSON.stringify(entry);
  return `${PREFIX}${sha256Hex(json)}${MIDDLE}${json}}\n`;
}

/**
 * The entry of one index line, or null when the line is not one (torn by a crash, edited,
 * the hash does not match its content, another version, or not shaped as the engine writes
 * an entry: the hash is no signature, see check-index-entry.ts). Pure.
 */
export function parseIndexLine(line: string): RunIndexEntry | null {
  const start = PREFIX.length + 64 + MIDDLE.length;
  if (!line.startsWith(PREFIX) || line.slice(PREFIX.length + 64, start) !== MIDDLE || !line.endsWith('}')) return null;
  const json = line.slice(start, -1);
  if (sha256Hex(json) !== line.slice(PREFIX.length, PREFIX.length + 64)) return null;
  try {
    const entry: unknown = JSON.parse(json);
    return isIndexEntry(entry) ? entry : null;
  } catch {
    return null;
  }
}

/** An index as read: its entries (the last line of a run wins), and how many lines were bad. */
export interface RunIndex {
  exists: boolean;
  /** By directory name, in the order their last line appears. */
  entries: Map<string, RunIndexEntry>;
  /** Lines that are not entries (torn, altered) and lines superseded by a later one. */
  damaged: number;
  superseded: number;
}

/** How much of the index is read at a time (see readRunIndex). */
const CHUNK_BYTES = 64 * 1024;
/**
 * The longest line of the index read: far past any the engine writes (a 200-milestone run's
 * line is tens of KB). A longer one is damaged and skipped unread: a 600 MB line without a
 * newline ended `report --all` with exit 70, and read from the end, in 64 KiB blocks joined
 * one by one, a 16 MB one cost each run's tier0_fast history 10 s of CPU.
 */
export const MAX_INDEX_LINE_BYTES = 4 * 2 ** 20;

/**
 * The index opened for reading, or null when there is none, it is no regular file (a FIFO
 * held `report` in open(2) past SIGINT and SIGTERM), or a symbolic link is at its name: never
 * followed (O_NOFOLLOW), as a worker without the OS sandbox can put one there (followed, one
 * to /dev/zero filled the heap, and one to a file out of the store was read as the index).
 * The reader then scans the store, and the index is rebuilt over it: a new file renamed over
 * the name, whatever it led to untouched. So too when it has another name, a hard link to a
 * file of the user's on the same file system (own-names.ts). Impure.
 */
function openIndex(file: string): number | null {
  try {
    const opened = openRegularSync(file, { noFollow: true });
    if (!opened || hasOwnNamesOnly(file, opened.st, opened.fd)) return opened?.fd ?? null;
    closeSync(opened.fd);
    return null;
  } catch {
    return null;
  }
}

/**
 * Read a store's index, every line. A missing file is an empty index that does not exist.
 * Read 64 KiB at a time into one buffer, each chunk's lines parsed before the next is read:
 * read whole, 10,000 runs are a 21 MB buffer and a 21 MB string made only to be split, fresh
 * memory the system must map page by page (20,000 page faults; 64 KiB chunks: 2,500, and a
 * third of the CPU). Impure.
 */
export function readRunIndex(storeDir: string): RunIndex {
  const fd = openIndex(path.join(storeDir, RUN_INDEX));
  if (fd === null) return { exists: false, entries: new Map(), damaged: 0, superseded: 0 };
  const index: RunIndex = { exists: true, entries: new Map(), damaged: 0, superseded: 0 };
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    const decoder = new StringDecoder('utf8');
    // The start of a line that goes on in the next chunk, in pieces: joined once its end is
    // read, so a line of many chunks costs its length, not its length times the chunks. Past
    // MAX_INDEX_LINE_BYTES the pieces are dropped and the line counts as damaged.
    let pieces: string[] = [];
    let length = 0;
    let skipping = false;
    const take = (line: string) => {
      if (skipping) index.damaged++;
      else takeIndexLine(index, line);
      pieces = [];
      length = 0;
      skipping = false;
    };
    for (let n = readSync(fd, buffer, 0, CHUNK_BYTES, null); n > 0; n = readSync(fd, buffer, 0, CHUNK_BYTES, null)) {
      const text = decoder.write(buffer.subarray(0, n));
      let start = 0;
      for (let end = text.indexOf('\n'); end >= 0; start = end + 1, end = text.indexOf('\n', start)) {
        // The line's last piece counts too: a line of pieces under the cap and a last piece
        // that takes it past is as damaged as one whose pieces alone are past it.
        if (length + end - start > MAX_INDEX_LINE_BYTES) skipping = true;
        take(skipping ? '' : pieces.length ? pieces.join('') + text.slice(start, end) : text.slice(start, end));
      }
      if (start < text.length && !skipping) {
        pieces.push(text.slice(start));
        length += text.length - start;
        if (length > MAX_INDEX_LINE_BYTES) [pieces, length, skipping] = [[], 0, true];
      }
    }
    const rest = decoder.end();
    if (length + rest.length > MAX_INDEX_LINE_BYTES) skipping = true;
    take(skipping ? '' : pieces.join('') + rest);
  } finally {
    closeSync(fd);
  }
  return index;
}

/** One line of the index into `index`: the last line of a run wins; a bad line is counted. */
function takeIndexLine(index: RunIndex, line: string): void {
  if (!line) return;
  const entry = parseIndexLine(line);
  if (!entry) {
    index.damaged++;
    return;
  }
  if (index.entries.delete(entry.dir)) index.superseded++;
  index.entries.set(entry.dir, entry);
}

/**
 * Append one entry on a line of its own (see appendOwnLine: a torn last line is ended first;
 * a link planted at the name is an error, ELOOP, a hard link EMLINK, and the next reader
 * rebuilds the index).
 * Not fsynced: the index is derived from the run directories and repaired from them. Impure.
 */
export function appendRunIndex(storeDir: string, entry: RunIndexEntry): void {
  appendOwnLine(path.join(storeDir, RUN_INDEX), formatIndexLine(entry));
}

/** Replace the index with these entries (temp file and rename; not fsynced, see above). Impure. */
export function rewriteRunIndex(storeDir: string, entries: readonly RunIndexEntry[]): void {
  const file = path.join(storeDir, RUN_INDEX);
  const tmp = path.join(storeDir, `.${RUN_INDEX}.${process.pid}.tmp`);
  writeFreshFile(tmp, entries.map(formatIndexLine).join(''));
  renameSync(tmp, file);
}

/** The size of a run's state.json, or null when it has none. Impure. */
export function stateBytes(runDir: string): number | null {
  return ownFileBytes(`${runDir}/state.json`);
}

/** The size of a run's timeline, or null when it has none. Impure. */
export function timelineBytes(runDir: string): number | null {
  return ownFileBytes(`${runDir}/timeline.jsonl`);
}

/**
 * The size of a regular file itself with no other name, or null (none, a link, a hard link:
 * a record replaced by a link to a file of the size the index noted kept its line, read from
 * the index as the run). Impure.
 */
function ownFileBytes(file: string): number | null {
  const st = lstatSync(file, { throwIfNoEntry: false });
  return st?.isFile() && hasOwnNamesOnly(file, st) ? st.size : null;
}

/**
 * The finished runs on `repo` before `selfRunId` that tier0_fast's history needs (the last
 * `need` by `created_at`, oldest first), read from the end of the index: the cost does not
 * grow with the store. An entry whose run directory is gone is skipped; one whose timeline
 * has grown since (the run was resumed) is taken from its state.json (skipped while it
 * runs). Null when the store has no index (the caller scans the store). Impure.
 */
export function recentRunsFromIndex(storeDir: string, repo: string, selfRunId: string, need: number): IndexedPastRun[] | null {
  // No index, or none to read (a FIFO, a device): the caller scans the store. Checked on what
  // was opened, read from that descriptor: a name checked and opened after could be swapped.
  const fd = openIndex(path.join(storeDir, RUN_INDEX));
  if (fd === null) return null;
  try {
    return need <= 0 ? [] : newestOfIndex(storeDir, fd, repo, selfRunId, need);
  } finally {
    closeSync(fd);
  }
}

/** recentRunsFromIndex's search of an opened index. Impure (reads the index and run directories). */
function newestOfIndex(storeDir: string, fd: number, repo: string, selfRunId: string, need: number): IndexedPastRun[] {
  const wantRepo = path.resolve(repo);
  const seen = new Set<string>();
  // The `need` newest found so far, oldest first.
  const newest: IndexedPastRun[] = [];
  for (const line of linesFromFd(fd)) {
    const entry = parseIndexLine(line);
    if (!entry || seen.has(entry.dir)) continue;
    // Lines are appended as runs finish: every earlier line finished before this one, so it
    // was created before too and cannot be newer than the `need` newest found.
    if (newest.length >= need && entry.finished_at < newest[0]!.created_at) break;
    seen.add(entry.dir);
    if (entry.run_id === selfRunId || path.resolve(entry.repo) !== wantRepo) continue;
    if (newest.length >= need && entry.created_at < newest[0]!.created_at) continue;
    const run = confirm(storeDir, entry);
    if (!run) continue;
    newest.push(run);
    newest.sort(byCreated);
    if (newest.length > need) newest.shift();
  }
  return newest;
}

function confirm(storeDir: string, entry: RunIndexEntry): IndexedPastRun | null {
  const runDir = path.join(storeDir, entry.dir);
  const size = timelineBytes(runDir);
  if (size === null) return null;
  if (size === entry.timeline_bytes) return { run_id: entry.run_id, stop_reason: entry.stop_reason, created_at: entry.created_at, samples: entry.samples };
  try {
    const state = readRunRecordJson(path.join(runDir, 'state.json')) as { status?: unknown; stop_reason?: unknown };
    if (state.status === 'running') return null;
    return { run_id: entry.run_id, stop_reason: typeof state.stop_reason === 'string' ? state.stop_reason : null, created_at: entry.created_at, samples: entry.samples };
  } catch {
    return null;
  }
}

function byCreated(a: IndexedPastRun, b: IndexedPastRun): number {
  return compareText(a.created_at, b.created_at) || compareText(a.run_id, b.run_id);
}

/**
 * The complete lines of the index, last first, read backwards in blocks; nothing when it is
 * no regular file. A line past MAX_INDEX_LINE_BYTES is skipped unread, and the pieces of a
 * line that spans blocks are joined once, at its start. Impure.
 */
export function* linesFromEnd(file: string): Generator<string> {
  const fd = openIndex(file);
  if (fd === null) return;
  try {
    yield* linesFromFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** linesFromEnd of an opened regular file; the caller closes it. Impure. */
function* linesFromFd(fd: number): Generator<string> {
  let pos = fstatSync(fd).size;
  // The rest of the line whose start is in an earlier block, earliest piece first.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let skipping = false;
  // Until the file's last newline: a last line without its newline was torn by a crash.
  let torn = true;
  while (pos > 0) {
    const len = Math.min(CHUNK_BYTES, pos);
    pos -= len;
    const block = Buffer.allocUnsafe(len);
    readSync(fd, block, 0, len, pos);
    let end = len;
    for (let nl = block.lastIndexOf(0x0a, end - 1); nl !== -1; nl = end > 0 ? block.lastIndexOf(0x0a, end - 1) : -1) {
      if (!torn && !skipping && pendingBytes + end - nl - 1 <= MAX_INDEX_LINE_BYTES) {
        const line = pendingBytes ? Buffer.concat([block.subarray(nl + 1, end), ...pending]) : block.subarray(nl + 1, end);
        if (line.length) yield line.toString('utf8');
      }
      [pending, pendingBytes, skipping, torn] = [[], 0, false, false];
      end = nl;
    }
    if (end > 0 && !skipping) {
      pending.unshift(block.subarray(0, end));
      pendingBytes += end;
      if (pendingBytes > MAX_INDEX_LINE_BYTES) [pending, pendingBytes, skipping] = [[], 0, true];
    }
  }
  if (!torn && !skipping && pendingBytes && pendingBytes <= MAX_INDEX_LINE_BYTES) yield Buffer.concat(pending).toString('utf8');
}
