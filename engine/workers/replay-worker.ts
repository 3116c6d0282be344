/**
 * The `replay` worker: serves the calls recorded in an earlier run (`from_run`, a run dir).
 * A call is matched on the header block of its prompt.md (phase, milestone, attempt, then
 * step) — the headers make transcripts self-describing. It runs a real small process that
 * prints the recorded stdout and stderr and exits with the recorded code, and reads it with
 * the parser of the recorded dialect. When several recorded calls match (repeated repairs),
 * they are served in order; the count is kept in the worker's home, so a resume continues.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineBuiltinWorker, type WorkerCallContext } from './types.js';
import { readHomeFile, writeHomeFile } from '../store/home-files.js';
import { parseHeaders } from './prompt-headers.js';
import { parserForDialect } from './builtin-workers.js';
import { createCodexParser } from './parse/codex-exec-json.js';
import { describeJsonError, parseJson } from '../util/parse-json.js';
import { MAX_RECORD_BYTES } from '../util/read-or-null.js';
import { readRunFileSync, readRunTextOrNull } from '../util/read-run-record.js';

interface RecordedCall {
  dir: string;
  dialect: string;
  sameStep: boolean;
}

export const replayWorker = defineBuiltinWorker({
  name: 'replay',
  contract: 1,
  summary: 'serves the calls recorded in an earlier run (from_run) with their own dialects',
  // It has no probe call recorded to serve.
  probe: false,
  async detectVersion() {
    return null;
  },
  resolveBin: () => process.execPath,
  invoke(ctx) {
    const found = findRecordedCall(ctx);
    const env = { ...ctx.baseEnv };
    delete env.NODE_OPTIONS;
    if ('error' in found) {
      const script = 'process.stderr.write(process.argv[1] + "\\n"); process.exit(2)';
      return { bin: process.execPath, args: ['-e', script, found.error], env, cwd: ctx.cwd, stdin: 'closed' };
    }
    const cat = locateReplayCat(ctx.packageRoot);
    if (!cat) {
      const script = 'process.stderr.write(process.argv[1] + "\\n"); process.exit(2)';
      return { bin: process.execPath, args: ['-e', script, 'replay: dist/engine/workers/replay-cat.js not found; run `npm run build`'], env, cwd: ctx.cwd, stdin: 'closed' };
    }
    return { bin: process.execPath, args: [cat, found.call.dir], env, cwd: ctx.cwd, stdin: 'closed' };
  },
  createParser(ctx) {
    const found = findRecordedCall(ctx);
    return ('call' in found ? parserForDialect(found.call.dialect) : null) ?? createCodexParser();
  },
  async prepare(ctx) {
    // Choose the call once per invocation and count it as served.
    const found = findRecordedCall(ctx, true);
    if ('call' in found) chosen.set(ctx, found);
  },
});

const chosen = new WeakMap<WorkerCallContext, { call: RecordedCall }>();

function findRecordedCall(ctx: WorkerCallContext, serve = false): { call: RecordedCall } | { error: string } {
  const done = chosen.get(ctx);
  if (done) return done;
  const runDir = ctx.spec.from_run;
  if (!runDir) return { error: 'replay: the worker needs `from_run` (a run directory)' };
  const callsDir = path.join(runDir, 'calls');
  if (!existsSync(callsDir)) return { error: `replay: no calls/ in ${runDir}` };
  const want = parseHeaders(ctx.prompt);
  if (!want) return { error: 'replay: the prompt has no engine header block' };
  const key = ['phase', 'milestone', 'attempt', 'repair-of'].map((k) => want[k] ?? '').join('|');
  const candidates: RecordedCall[] = [];
  let names: string[];
  try {
    names = readdirSync(callsDir).sort();
  } catch (e) {
    return { error: `replay: ${callsDir} cannot be listed: ${(e as Error).message}` };
  }
  for (const name of names) {
    const dir = path.join(callsDir, name);
    const promptFile = path.join(dir, 'prompt.md');
    const metaFile = path.join(dir, 'meta.json');
    if (!existsSync(promptFile) || !existsSync(metaFile)) continue;
    // Read only as regular files (a FIFO there would block the engine, a directory throw),
    // and only as large as the engine writes its records.
    // Never through a link either (readRunTextOrNull): a recording passed on could lead to a
    // file of the replaying user's.
    const promptText = readRunTextOrNull(promptFile);
    const got = promptText === null ? null : parseHeaders(promptText);
    if (!got || ['phase', 'milestone', 'attempt', 'repair-of'].map((k) => got[k] ?? '').join('|') !== key) continue;
    // The recorded run's files are input like any other: one that is no call's meta stops the
    // call with its name, never the engine.
    let dialect: unknown;
    let text: string;
    try {
      text = readRunFileSync(metaFile, 'utf8', MAX_RECORD_BYTES);
    } catch (e) {
      const linked = (e as NodeJS.ErrnoException).code === 'ELOOP';
      return { error: `replay: ${metaFile} ${linked ? "is a link: a recorded call's records are read only as the files there" : `cannot be read as a file (of at most ${MAX_RECORD_BYTES} bytes)`}` };
    }
    try {
      const meta = parseJson(text);
      dialect = meta !== null && typeof meta === 'object' && !Array.isArray(meta) ? (meta as { dialect?: unknown }).dialect ?? 'codex-exec-json' : undefined;
    } catch (e) {
      // Its words, never its text: the file may be one of the user's (a hard link).
      return { error: `replay: ${metaFile} is not a call's meta.json: ${describeJsonError(e)}` };
    }
    if (typeof dialect !== 'string') return { error: `replay: ${metaFile} is not a call's meta.json: no dialect string in it` };
    candidates.push({ dir, dialect, sameStep: got.step === want.step });
  }
  const sameStep = candidates.filter((c) => c.sameStep);
  const pool = sameStep.length ? sameStep : candidates;
  if (!pool.length) return { error: `replay: no recorded call in ${runDir} for phase=${want.phase} milestone=${want.milestone} attempt=${want.attempt}${want['repair-of'] ? ` repair-of=${want['repair-of']}` : ''}` };
  const counts = readServed(ctx.homeDir);
  const n = counts[key] ?? 0;
  const call = pool[Math.min(n, pool.length - 1)]!;
  if (serve) {
    counts[key] = n + 1;
    writeHomeFile(ctx.homeDir, 'replay-served.json', `${JSON.stringify(counts, null, 2)}\n`);
  }
  return { call };
}

function readServed(home: string): Record<string, number> {
  try {
    // The worker's home is writable by it: anything but a map of counts counts as none served.
    const value: unknown = parseJson(readHomeFile(home, 'replay-served.json') ?? '{}');
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter(([, n]) => Number.isInteger(n) && (n as number) >= 0)) as Record<string, number>;
  } catch {
    return {};
  }
}

/** replay-cat.js next to this module (running from dist/), else in the package's dist/. */
export function locateReplayCat(packageRoot: string): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.join(here, 'replay-cat.js'), path.join(packageRoot, 'dist', 'engine', 'workers', 'replay-cat.js')]) {
    if (existsSync(candidate)) return candidate;
  }
  return null;
}
