/**
 * A user's plugin with its parser guarded: the parser is the plugin author's code, run inside
 * the engine's process on every line of the worker's output. One that throws (in
 * `createParser`, `line`, `end` or `sawTerminal`), or returns what is no outcome, fails the
 * call with what went wrong, named; it never ends the engine (an uncaught exception in a
 * stream's handler left the run `running` with its lock held) nor reads as an engine bug.
 * After its first fault the parser is not asked again. Pure wrapper around the plugin.
 */
import type { NormalizedEvent, OutcomeClass, ParsedOutcome, ProcessExit, StreamParser, WorkerCallContext, WorkerPlugin } from './types.js';
import { notePending, noteRunning } from '../util/pending-awaits.js';
import { messageOf } from '../util/message-of.js';
import { parseJson } from '../util/parse-json.js';

const OUTCOMES: readonly OutcomeClass[] = ['ok', 'failed', 'incomplete'];

/**
 * `plugin` with every parser it makes guarded. Its other functions run on the plugin itself
 * (`this`, a class's private fields, what a method keeps on the plugin between calls), and
 * what is read or spread of it is its own (a proxy: no copy to fall out of step with it).
 */
export function guardPlugin(plugin: WorkerPlugin, file: string): WorkerPlugin {
  const createParser = (ctx: WorkerCallContext): StreamParser => {
    try {
      return guardParser(noteRunning(`worker plugin ${file}: createParser()`, () => plugin.createParser.call(plugin, ctx)), file);
    } catch (error) {
      return faultedParser(`createParser threw: ${messageOf(error)}`, file);
    }
  };
  return new Proxy(plugin, {
    get(target, key) {
      if (key === 'createParser') return createParser;
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      // A promise a hook returns is noted while the engine awaits it (util/pending-awaits.ts).
      return (...args: unknown[]): unknown => {
        const what = `worker plugin ${file}: ${String(key)}()`;
        const out = noteRunning(what, () => (value as (...a: unknown[]) => unknown).apply(target, args));
        return out instanceof Promise ? notePending(what, out) : out;
      };
    },
    getOwnPropertyDescriptor(target, key) {
      const d = Reflect.getOwnPropertyDescriptor(target, key);
      return d && key === 'createParser' ? { ...d, value: createParser } : d;
    },
  });
}

/** A parser whose faults become the call's failure. Pure. */
export function guardParser(parser: StreamParser, file: string): StreamParser {
  let fault: string | null = null;
  return {
    line(text: string): NormalizedEvent[] {
      if (fault) return [];
      try {
        const events = noteRunning(`worker plugin ${file}: its parser's line()`, () => parser.line(text));
        if (!Array.isArray(events)) throw new Error(`line() returned ${describe(events)}, not a list of events`);
        const kept = events.filter((e): e is NormalizedEvent => typeof e === 'object' && e !== null && typeof (e as { kind?: unknown }).kind === 'string');
        return plainJson(kept, 'line() returned an event') as NormalizedEvent[];
      } catch (error) {
        fault = error instanceof PlainJsonError ? error.message : `line() threw: ${messageOf(error)}`;
        return [];
      }
    },
    end(exit: ProcessExit, stderr: string): ParsedOutcome {
      if (fault) return failedOutcome(fault, file);
      let out: unknown;
      try {
        out = noteRunning(`worker plugin ${file}: its parser's end()`, () => parser.end(exit, stderr));
      } catch (error) {
        return failedOutcome(`end() threw: ${messageOf(error)}`, file);
      }
      const wrong = outcomeProblem(out);
      if (wrong) return failedOutcome(`end() returned ${wrong}`, file);
      try {
        return plainJson(out, 'end() returned an outcome') as ParsedOutcome;
      } catch (error) {
        return failedOutcome(messageOf(error), file);
      }
    },
    sawTerminal(): boolean {
      if (fault || !parser.sawTerminal) return false;
      try {
        return noteRunning(`worker plugin ${file}: its parser's sawTerminal()`, () => parser.sawTerminal!()) === true;
      } catch (error) {
        fault = `sawTerminal() threw: ${messageOf(error)}`;
        return false;
      }
    },
  };
}

/** A parser that failed before it was made: every call fails with why. Pure. */
function faultedParser(why: string, file: string): StreamParser {
  return { line: () => [], end: () => failedOutcome(why, file) };
}

/** What makes `out` no ParsedOutcome, or null. Pure. */
function outcomeProblem(out: unknown): string | null {
  if (typeof out !== 'object' || out === null) return describe(out);
  const o = out as Record<string, unknown>;
  if (!OUTCOMES.includes(o.outcome as OutcomeClass)) return `outcome ${JSON.stringify(o.outcome)}, not one of ${OUTCOMES.join(', ')}`;
  const wrong = [
    typeof o.finalText !== 'string' && 'finalText (a string)',
    typeof o.dialect !== 'string' && 'dialect (a string)',
    !(o.sessionId === null || typeof o.sessionId === 'string') && 'sessionId (a string or null)',
    !(o.error === null || typeof o.error === 'string') && 'error (a string or null)',
    !(o.usage === null || (typeof o.usage === 'object' && o.usage !== undefined)) && 'usage (an object or null)',
    !(o.costUsd === null || typeof o.costUsd === 'number') && 'costUsd (a number or null)',
    (typeof o.unknownEventTypes !== 'object' || o.unknownEventTypes === null) && 'unknownEventTypes (an object)',
    !(o.warnings === undefined || (Array.isArray(o.warnings) && o.warnings.every((w) => typeof w === 'string'))) && 'warnings (strings)',
    !(o.events === undefined || Array.isArray(o.events)) && 'events (a list)',
  ].filter((x): x is string => typeof x === 'string');
  return wrong.length ? `an outcome without ${wrong.join(', ')}` : null;
}

function failedOutcome(why: string, file: string): ParsedOutcome {
  return { outcome: 'failed', finalText: '', sessionId: null, dialect: 'plugin-parser-fault', usage: null, costUsd: null, unknownEventTypes: {}, error: `the worker plugin's parser (${file}) ${why}` };
}

class PlainJsonError extends Error {}

/**
 * A plugin's value as the engine keeps it: JSON, within the depth the engine reads
 * (util/parse-json.ts). A cycle, a BigInt or nesting past it was an uncaught error or exit
 * 70 where the transcript wrote it; now the plugin's fault, said. Pure.
 */
function plainJson(value: unknown, what: string): unknown {
  try {
    return parseJson(JSON.stringify(value));
  } catch (error) {
    throw new PlainJsonError(`${what} that is not plain JSON (${messageOf(error)})`);
  }
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * What makes a plugin's invoke() result no command line, or null: a `cwd` of 42 or an `args`
 * that is no list reached the spawn and ended the engine with exit 70. Pure.
 */
export function invocationProblem(inv: unknown): string | null {
  if (typeof inv !== 'object' || inv === null) return `${inv === null ? 'null' : typeof inv}, not a command line`;
  const o = inv as Record<string, unknown>;
  const strings = (x: unknown) => Array.isArray(x) && x.every((a) => typeof a === 'string');
  const wrong = [
    !(typeof o.bin === 'string' && o.bin !== '') && 'bin (a program)',
    !strings(o.args) && 'args (a list of strings)',
    !(typeof o.cwd === 'string' && o.cwd !== '') && 'cwd (a directory)',
    !(typeof o.env === 'object' && o.env !== null && Object.values(o.env).every((v) => v === undefined || typeof v === 'string')) && 'env (strings by name)',
    !(o.stdin === 'closed' || o.stdin === 'prompt') && "stdin ('closed' or 'prompt')",
    !(o.writable === undefined || strings(o.writable)) && 'writable (a list of paths)',
  ].filter((x): x is string => typeof x === 'string');
  return wrong.length ? `a command line without ${wrong.join(', ')}` : null;
}
