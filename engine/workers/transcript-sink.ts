/**
 * Where a worker's stdout goes: redaction, then the byte line splitter, then (a) stdout.log
 * verbatim up to the cap, an over-long line moved to a side file with its sha256, and (b)
 * the stream parser, whose normalized events are streamed to events.jsonl. Nothing is
 * accumulated per event, so memory stays flat whatever the transcript's size. Impure (files).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { NormalizedEvent, ParsedOutcome, ProcessExit, StreamParser } from './types.js';
import { createLineSplitter, decodeLine, type RawLine } from './split-lines.js';
import { createStreamRedactor, type Secret } from './redact.js';
import { BufferedFileWriter, writeFilePlain } from './write-files.js';
import { saneEvent, saneOutcome } from './sane-numbers.js';

const NEWLINE = Buffer.from('\n');
export const DEFAULT_LONG_LINE_BYTES = 1024 * 1024;
export const DEFAULT_CAP_BYTES = 5 * 1024 * 1024;

export interface TranscriptSinkOptions {
  dir: string;
  parser: StreamParser;
  capBytes?: number;
  longLineBytes?: number;
  secrets?: readonly Secret[];
  /** Every normalized event, as it is written (progress display). */
  onEvent?: (event: NormalizedEvent) => void;
  /** Called after each line was parsed (the runner watches for the terminal event). */
  onLine?: () => void;
}

export interface TranscriptSummary {
  parsed: ParsedOutcome;
  /** Stdout bytes the worker printed (before redaction). */
  bytes: number;
  /** Bytes written to stdout.log and side files. */
  keptBytes: number;
  truncated: boolean;
  longLines: { line: number; bytes: number; sha256: string; file: string | null }[];
  eventCount: number;
  /** Warnings, in order (duplicates kept once). */
  warnings: string[];
}

export interface TranscriptSink {
  push(chunk: Buffer): void;
  finish(exit: ProcessExit, stderr: string): TranscriptSummary;
}

export function createTranscriptSink(options: TranscriptSinkOptions): TranscriptSink {
  const st = newSinkState(options);
  const splitter = createLineSplitter((line) => takeLine(st, line));
  return {
    push(chunk) {
      st.bytes += chunk.length;
      const safe = st.redactor.push(chunk);
      if (safe.length) splitter.push(safe);
    },
    finish(exit, stderr) {
      const rest = st.redactor.flush();
      if (rest.length) splitter.push(rest);
      splitter.end();
      const parsed = saneOutcome(options.parser.end(exit, stderr));
      for (const e of parsed.events ?? []) emitEvent(st, e);
      st.stdoutLog.close();
      st.eventsLog.close();
      const { bytes, kept: keptBytes, truncated, longLines, eventCount } = st;
      return { parsed, bytes, keptBytes, truncated, longLines, eventCount, warnings: sinkWarnings(st, parsed) };
    },
  };
}

/** What one sink holds between chunks: its files, its counters, and where the caps cut. */
interface SinkState {
  options: TranscriptSinkOptions;
  cap: number;
  longLimit: number;
  stdoutLog: BufferedFileWriter;
  eventsLog: BufferedFileWriter;
  redactor: ReturnType<typeof createStreamRedactor>;
  longLines: TranscriptSummary['longLines'];
  /** Stdout bytes seen, before redaction. */
  bytes: number;
  /** Bytes written to stdout.log and side files. */
  kept: number;
  truncated: boolean;
  eventCount: number;
  /** stdout.log reached the cap: later bytes are not written. */
  capReached: boolean;
  eventsKept: number;
  /** events.jsonl reached the cap: later events are counted, not written. */
  eventsCut: boolean;
}

function newSinkState(options: TranscriptSinkOptions): SinkState {
  return {
    options,
    cap: options.capBytes ?? DEFAULT_CAP_BYTES,
    longLimit: options.longLineBytes ?? DEFAULT_LONG_LINE_BYTES,
    stdoutLog: new BufferedFileWriter(path.join(options.dir, 'stdout.log')),
    eventsLog: new BufferedFileWriter(path.join(options.dir, 'events.jsonl')),
    redactor: createStreamRedactor(options.secrets ?? []),
    longLines: [],
    bytes: 0,
    kept: 0,
    truncated: false,
    eventCount: 0,
    capReached: false,
    eventsKept: 0,
    eventsCut: false,
  };
}

/** One line: into stdout.log (or a side file when over-long), then through the parser. */
function takeLine(st: SinkState, line: RawLine): void {
  if (line.length > st.longLimit) {
    keepLongLine(st, line);
  } else {
    keepBytes(st, line.bytes);
    if (line.newline) keepBytes(st, NEWLINE);
  }
  for (const e of st.options.parser.line(decodeLine(line.bytes))) emitEvent(st, e);
  st.options.onLine?.();
}

/** stdout.log verbatim up to the cap; past it nothing more is written. */
function keepBytes(st: SinkState, data: Buffer): void {
  if (st.capReached) return;
  const room = st.cap - st.kept;
  if (data.length > room) {
    if (room > 0) st.stdoutLog.write(data.subarray(0, room));
    st.kept = st.cap;
    st.truncated = true;
    st.capReached = true;
    return;
  }
  st.stdoutLog.write(data);
  st.kept += data.length;
}

/** An over-long line goes to its own file (while under the cap); stdout.log gets a reference. */
function keepLongLine(st: SinkState, line: RawLine): void {
  const sha256 = createHash('sha256').update(line.bytes).digest('hex');
  const name = `stdout.line-${line.index}.txt`;
  const fits = !st.capReached && st.kept + line.bytes.length <= st.cap;
  if (fits) {
    writeFilePlain(path.join(st.options.dir, name), line.bytes);
    st.kept += line.bytes.length;
  } else {
    st.truncated = true;
  }
  st.longLines.push({ line: line.index, bytes: line.length, sha256, file: fits ? name : null });
  keepBytes(st, Buffer.from(`${longLineReference(line.index, line.length, sha256, fits ? name : null)}${line.newline ? '\n' : ''}`));
}

/**
 * events.jsonl holds at most `cap` bytes too: past it, one warning event says where it was
 * cut (room is kept for it) and later events are counted, not written.
 */
function emitEvent(st: SinkState, raw: NormalizedEvent): void {
  const event = saneEvent(raw);
  st.eventCount += 1;
  st.options.onEvent?.(event);
  if (st.eventsCut) return;
  const room = st.cap - st.eventsKept - EVENTS_CUT_RESERVE;
  // Sized before it is serialized: a 64 MiB message is not turned into a string to be dropped.
  const line = roughJsonSize(event) <= room ? `${JSON.stringify(event)}\n` : null;
  if (line !== null && Buffer.byteLength(line) <= room) {
    st.eventsLog.write(line);
    st.eventsKept += Buffer.byteLength(line);
    return;
  }
  st.eventsCut = true;
  st.truncated = true;
  const note: NormalizedEvent = { kind: 'warning', message: `events.jsonl reached the cap of ${st.cap} bytes at event ${st.eventCount}: later events are not kept` };
  st.eventsLog.write(`${JSON.stringify(note)}\n`);
}

/** The engine's own notes first: a worker's thousands of warnings must not push them out. */
function sinkWarnings(st: SinkState, parsed: ParsedOutcome): string[] {
  const warnings: string[] = [];
  if (st.eventsCut) warnings.push(`events.jsonl exceeded the cap of ${st.cap} bytes: it is cut there (${st.eventCount} events seen)`);
  if (st.capReached) warnings.push(`stdout exceeded the cap of ${st.cap} bytes: stdout.log is cut there (the stream was still parsed whole)`);
  for (const l of st.longLines) if (!l.file) warnings.push(`line ${l.line} (${l.bytes} bytes) exceeds the cap: not kept (sha256 ${l.sha256})`);
  for (const w of new Set(parsed.warnings ?? [])) warnings.push(w);
  return warnings;
}

/** Bytes kept free in events.jsonl for the line that says it was cut. */
const EVENTS_CUT_RESERVE = 256;

/** A lower bound of an event's JSON size, without building the JSON. Pure. */
function roughJsonSize(value: unknown): number {
  if (typeof value === 'string') return value.length + 2;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + roughJsonSize(v) + 1, 2);
  if (value && typeof value === 'object') return Object.entries(value).reduce((n, [k, v]) => n + k.length + 4 + roughJsonSize(v), 2);
  return 8;
}

/** The line that stands in stdout.log for an over-long line. Replay reads it back. */
export function longLineReference(index: number, length: number, sha256: string, file: string | null): string {
  return `[engine: line ${index} (${length} bytes, sha256 ${sha256}) ${file ? `moved to ${file}` : 'not kept: over the cap'}]`;
}

export const LONG_LINE_REFERENCE = /^\[engine: line (\d+) \((\d+) bytes, sha256 ([0-9a-f]{64})\) moved to (stdout\.line-\d+\.txt)\]$/;
