/**
 * Runs a whole transcript held in memory through a parser: the pure core that the call
 * runner drives chunk by chunk. Used by tests and tools. Pure.
 */
import type { NormalizedEvent, ParsedOutcome, ProcessExit, StreamParser } from '../types.js';
import { createLineSplitter, decodeLine } from '../split-lines.js';
import { pushAll } from '../../util/many.js';

export interface ParsedTranscript {
  events: NormalizedEvent[];
  outcome: ParsedOutcome;
}

export function parseTranscript(chunks: Buffer | Buffer[], parser: StreamParser, exit: ProcessExit, stderr = ''): ParsedTranscript {
  const events: NormalizedEvent[] = [];
  const splitter = createLineSplitter((line) => {
    for (const e of parser.line(decodeLine(line.bytes))) events.push(e);
  });
  for (const c of Array.isArray(chunks) ? chunks : [chunks]) splitter.push(c);
  splitter.end();
  const outcome = parser.end(exit, stderr);
  if (outcome.events) pushAll(events, outcome.events);
  return { events, outcome };
}

/** The exit of a process that ended by itself with `code`. */
export function exitedWith(code: number | null, extra: Partial<ProcessExit> = {}): ProcessExit {
  return { exitCode: code, signal: null, timedOut: false, idleTimedOut: false, spawnError: null, ...extra };
}
