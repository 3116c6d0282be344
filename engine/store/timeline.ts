import { openSync, writeSync, ftruncateSync, closeSync, constants, existsSync, fstatSync, readFileSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { readRunFileSync } from '../util/read-run-record.js';
import type { TimelineEvent } from '../generated/event.js';
import { noByteTaken, writeFileAtomic } from './atomic.js';
import { createFaultHook, parseFaults } from './fault.js';
import { systemFileOps, type FileOps } from './file-ops.js';
import { nameError } from '../util/name-error.js';
import { noFollowError, notRegularError } from '../util/open-regular.js';
import { openedNameLinked, otherNameError } from '../util/own-names.js';
import { parseJson } from '../util/parse-json.js';

/** An event before the writer numbers it. */
export type NewEvent = DistributiveOmit<TimelineEvent, 'seq' | 'ts'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Appends events to timeline.jsonl: numbered 1..n without gaps (continuing after the last
 * whole line already there), one JSON object per line, written before `append` returns and
 * fsynced with the events that close a step or the run (group commit: decision 0007). Several
 * events given to one `append` land in one write, so a crash keeps all or none of them. The
 * file is opened once (openTimeline) and read, cut and appended to through that descriptor.
 */
export class TimelineWriter {
  private seq: number;
  private fd: number;
  /** Everything the file holds, as this writer found and wrote it. */
  private written: string;
  private readonly fault: (type: string) => void;
  /** A running sha256 of `written`, and its length in bytes (for state.json: see `digest`). */
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  /** The last digest handed out, kept while no byte was added. */
  private lastDigest: { bytes: number; sha256: string } | null = null;

  constructor(
    private readonly file: string,
    private readonly now: () => Date,
    private readonly onEvent?: (e: TimelineEvent) => void,
    /** Applied to each numbered event before it is written (secret redaction). */
    private readonly sanitize: (e: TimelineEvent) => TimelineEvent = (e) => e,
    /** The fsync of the file (the system's; a test's that fails). */
    private readonly ops: FileOps = systemFileOps,
  ) {
    const opened = openTimeline(file);
    this.fd = opened.fd;
    this.written = opened.text;
    try {
      this.seq = lastSeq(parseTimeline(this.written));
    } catch (error) {
      closeSync(this.fd);
      throw error;
    }
    this.hash.update(this.written);
    this.bytes = Buffer.byteLength(this.written);
    this.fault = createFaultHook(parseFaults(process.env.ENGINE_FAULT));
  }

  get lastSeq(): number {
    return this.seq;
  }

  append(...events: NewEvent[]): TimelineEvent[] {
    const ts = this.now().toISOString();
    const numbered = events.map((e) => this.sanitize({ seq: ++this.seq, ts, ...e } as TimelineEvent));
    const chunk = numbered.map((e) => JSON.stringify(e) + '\n').join('');
    try {
      appendWhole(this.fd, Buffer.from(chunk), this.bytes);
      // Group commit: every append is written at once (a killed engine loses nothing), and the
      // file is fsynced when a step or the run closes — one fsync per step, not per event.
      if (numbered.some(isDurablePoint)) this.ops.fsync(this.fd);
    } catch (error) {
      // Nothing of this append counts: state.json must never claim a line the file lacks, and
      // the file keeps no line the writer does not count (an fsync that failed after a whole
      // write left it there, and the next append repeated its seq).
      this.seq -= numbered.length;
      try {
        ftruncateSync(this.fd, this.bytes);
      } catch {
        /* what stays is a line past state.json's count: resume checks only the counted bytes */
      }
      throw nameError(error, this.file);
    }
    this.written += chunk;
    this.hash.update(chunk);
    this.bytes += Buffer.byteLength(chunk);
    for (const e of numbered) this.onEvent?.(e);
    for (const e of numbered) this.fault(e.type);
    return numbered;
  }

  /**
   * The length and sha256 of everything written so far: state.json keeps them, so resume can
   * tell the lines the engine wrote up to `last_seq` from anything else (see check-timeline.ts).
   */
  get digest(): { bytes: number; sha256: string } {
    // Asked at every write of state.json and every check of the records; a child's start and
    // end append nothing between them, so the last answer often stands.
    if (this.lastDigest?.bytes !== this.bytes) this.lastDigest = { bytes: this.bytes, sha256: 'sha256:' + this.hash.copy().digest('hex') };
    return { ...this.lastDigest };
  }

  /** Put back what the engine wrote, replacing whatever the file holds now, and append there. */
  restore(): void {
    closeSync(this.fd);
    // Nothing is appended until the file is back and checked: where that fails, every append throws (EBADF).
    this.fd = -1;
    writeFileAtomic(this.file, this.written);
    // Opened by name after the rename: a file put there in between (a hard link, another
    // file) is refused, not appended to.
    const opened = openTimeline(this.file);
    if (opened.text !== this.written) {
      closeSync(opened.fd);
      throw Object.assign(new Error(`${this.file} was replaced again while the engine put it back`), { code: 'ESTALE' });
    }
    this.fd = opened.fd;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
  }
}

/**
 * Write all of `bytes` at the end of the file (opened to append), which holds `length` bytes
 * before it. A nearly full file system takes part of a write without an error: the rest is
 * written again, and the error that stops it cuts the file back to `length`, so a failed
 * append leaves no torn line behind for the next to follow (resume refused such a timeline as
 * shorter than state.json said, for good). Impure.
 */
export function appendWhole(fd: number, bytes: Buffer, length: number): void {
  let at = 0;
  try {
    while (at < bytes.length) {
      const n = writeSync(fd, bytes, at, bytes.length - at);
      if (n === 0) throw noByteTaken();
      at += n;
    }
  } catch (error) {
    if (at > 0) {
      try {
        ftruncateSync(fd, length);
      } catch {
        /* the torn line stays; the next reader drops a torn last line (dropTornTail) */
      }
    }
    throw error;
  }
}

/**
 * The most of a timeline the engine reads: far past any run it writes (200 milestones make a
 * few MB), and far below the 512 MiB past which V8 makes no string of it. A larger one is not
 * the engine's writing: a hostile probe grew a run's timeline past 600 MB, and `report --all`
 * and `resume` ended with exit 70 making a string of it.
 */
export const MAX_TIMELINE_BYTES = 256 * 2 ** 20;

/**
 * Events after which the timeline is fsynced: a step's end (with every event of the step in
 * the same or an earlier write), the run's start, resume and end. Events between them are
 * written at once, so a killed engine loses none; only a machine crash can lose the events of
 * the step in progress, which resume repeats anyway.
 */
const DURABLE_TYPES = new Set(['run.started', 'run.resumed', 'run.finished', 'step.finished', 'step.stopped', 'governance.violation', 'checkpoint.created']);

/**
 * A routing step (advance, decide) and a skipped step change nothing outside the machine:
 * after a machine crash resume runs them again from the step before, with the same result.
 */
function isDurablePoint(e: TimelineEvent): boolean {
  if (!DURABLE_TYPES.has(e.type)) return false;
  return !(e.type === 'step.finished' && (e.kind === 'advance' || e.kind === 'decide'));
}

/**
 * Read a timeline. A last line cut short by a crash (no newline) is ignored, JSON or not: it
 * was never acknowledged, and the writer cuts it off (as check-timeline.ts ignores it). Impure
 * (reads a file).
 */
export function readTimeline(file: string): TimelineEvent[] {
  if (!existsSync(file)) return [];
  return parseTimeline(readTimelineText(file));
}

/**
 * A timeline's bytes; throws as readRunFileSync does (a link: ELOOP), and EFBIG, unread, for one larger
 * than the engine writes (MAX_TIMELINE_BYTES): `report --all` read such a timeline of 600 MB
 * whole, 12 s of CPU, to note that it could make no string of it. Impure.
 */
export function readTimelineBytes(file: string): Buffer {
  try {
    return readRunFileSync(file, undefined, MAX_TIMELINE_BYTES);
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { size?: number };
    if (e.code !== 'EFBIG') throw error;
    throw tooLarge(e.size ?? 0);
  }
}

/** readTimelineBytes as text. Impure. */
export function readTimelineText(file: string): string {
  return readTimelineBytes(file).toString('utf8');
}

/** Parse timeline text: its whole lines (a last one without a newline is torn, not read). Pure. */
export function parseTimeline(text: string): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  const lines = text.split('\n');
  lines.pop(); // what follows the last newline: nothing, or a torn line
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      out.push(parseJson(line) as TimelineEvent);
    } catch (error) {
      throw new Error(`timeline line ${i + 1} is not JSON: ${(error as Error).message}`);
    }
  });
  return out;
}

/**
 * The timeline opened once, for everything the writer does with it: made when missing, never
 * through a link (ELOOP: O_CREAT follows one to nothing, making the file where it leads), and
 * only as a regular file with one name (ENOTREG, EMLINK: a hard link to a file of the user's).
 * Read whole through that descriptor, a torn last line cut off through it (ftruncate), and
 * appended to through it: read, then opened again by name, the file could be swapped in
 * between (for a hard link, or another file), and the writer hashed one file and appended to
 * another. Its text is the whole lines it holds. Impure.
 */
function openTimeline(file: string): { fd: number; text: string } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o666);
  } catch (error) {
    throw noFollowError(file, error);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegularError(file);
    // One name, and that the one it was opened by (a hard link whose name here was removed
    // after the open has one name too: the user's; own-names.ts).
    if (st.nlink !== 1 || !openedNameLinked(fd)) throw st.nlink > 1 ? otherNameError(file) : Object.assign(new Error(`${file} was removed as it was opened`), { code: 'ENOENT' });
    if (st.size > MAX_TIMELINE_BYTES) throw tooLarge(st.size);
    const bytes = readFileSync(fd);
    const whole = wholeLinesLength(bytes);
    // A line a crash cut short (no final newline) was never acknowledged: the next event starts on a line of its own.
    if (whole < bytes.length) ftruncateSync(fd, whole);
    return { fd, text: bytes.subarray(0, whole).toString('utf8') };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** The length of `bytes` through its last newline. Pure. */
function wholeLinesLength(bytes: Uint8Array): number {
  if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return bytes.length;
  return bytes.lastIndexOf(0x0a) + 1;
}

/** The error for a timeline larger than the engine writes (code EFBIG). Pure. */
function tooLarge(size: number): Error {
  return Object.assign(new Error(`timeline.jsonl is ${size} bytes, more than the engine writes of a run (${MAX_TIMELINE_BYTES})`), { code: 'EFBIG' });
}

function lastSeq(events: TimelineEvent[]): number {
  return events.length ? events[events.length - 1]!.seq : 0;
}
