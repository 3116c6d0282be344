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
  const cap = options.capBytes ?? DEFAULT_CAP_BYTES;
  const longLimit = options.longLineBytes ?? DEFAULT_LONG_LINE_BYTES;
  const stdoutLog = new BufferedFileWriter(path.join(options.dir, 'stdout.log'));
  const eventsLog = new BufferedFileWriter(path.join(options.dir, 'events.jsonl'));
  const redactor = createStreamRedactor(options.secrets ?? []);
  const longLines: TranscriptSummary['longLines'] = [];
  let bytes = 0;
  let kept = 0;
  let truncated = false;
  let eventCount = 0;

  let capReached = false;
  const keep = (data: Buffer): void => {
    if (capReached) return;
    const room = cap - kept;
    if (data.length > room) {
      if (room > 0) stdoutLog.write(data.subarray(0, room));
      kept = cap;
      truncated = true;
      capReached = true;
      return;
    }
    stdoutLog.write(data);
    kept += data.length;
  };

  // events.jsonl holds at most `cap` bytes too: past it, one warning event says where it was
  // cut (room is kept for it) and later events are counted, not written.
  let eventsKept = 0;
  let eventsCut = false;
  const emit = (event: NormalizedEvent): void => {
    eventCount += 1;
    options.onEvent?.(event);
    if (eventsCut) return;
    const room = cap - eventsKept - EVENTS_CUT_RESERVE;
    // Sized before it is serialized: a 64 MiB message is not turned into a string to be dropped.
    const line = roughJsonSize(event) <= room ? `${JSON.stringify(event)}\n` : null;
    if (line !== null && Buffer.byteLength(line) <= room) {
      eventsLog.write(line);
      eventsKept += Buffer.byteLength(line);
      return;
    }
    eventsCut = true;
    truncated = true;
    const note: NormalizedEvent = { kind: 'warning', message: `events.jsonl reached the cap of ${cap} bytes at event ${eventCount}: later events are not kept` };
    eventsLog.write(`${JSON.stringify(note)}\n`);
  };

  const onLine = (line: RawLine): void => {
    const nl = line.newline ? '\n' : '';
    if (line.length > longLimit) {
      const sha256 = createHash('sha256').update(line.bytes).digest('hex');
      const name = `stdout.line-${line.index}.txt`;
      const fits = !capReached && kept + line.bytes.length <= cap;
      if (fits) {
        writeFilePlain(path.join(options.dir, name), line.bytes);
        kept += line.bytes.length;
      } else {
        truncated = true;
      }
      longLines.push({ line: line.index, bytes: line.length, sha256, file: fits ? name : null });
      keep(Buffer.from(`${longLineReference(line.index, line.length, sha256, fits ? name : null)}${nl}`));
    } else {
      keep(line.bytes);
      if (line.newline) keep(NEWLINE);
    }
    for (const e of options.parser.line(decodeLine(line.bytes))) emit(e);
    options.onLine?.();
  };
  const splitter = createLineSplitter(onLine);

  return {
    push(chunk) {
      bytes += chunk.length;
      const safe = redactor.push(chunk);
      if (safe.length) splitter.push(safe);
    },
    finish(exit, stderr) {
      const rest = redactor.flush();
      if (rest.length) splitter.push(rest);
      splitter.end();
      const parsed = options.parser.end(exit, stderr);
      for (const e of parsed.events ?? []) emit(e);
      stdoutLog.close();
      eventsLog.close();
      // The engine's own notes first: a worker's thousands of warnings must not push them out.
      const warnings: string[] = [];
      if (eventsCut) warnings.push(`events.jsonl exceeded the cap of ${cap} bytes: it is cut there (${eventCount} events seen)`);
      if (capReached) warnings.push(`stdout exceeded the cap of ${cap} bytes: stdout.log is cut there (the stream was still parsed whole)`);
      for (const l of longLines) if (!l.file) warnings.push(`line ${l.line} (${l.bytes} bytes) exceeds the cap: not kept (sha256 ${l.sha256})`);
      for (const w of new Set(parsed.warnings ?? [])) warnings.push(w);
      return { parsed, bytes, keptBytes: kept, truncated, longLines, eventCount, warnings };
    },
  };
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
