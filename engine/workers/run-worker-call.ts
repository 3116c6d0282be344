/**
 * One worker call, start to finish: prepare the plugin, spawn its CLI in a process group,
 * stream stdout through redaction, stdout.log, the parser and events.jsonl, watch the wall
 * and idle limits and the terminal event, then write text.md, markers.json and meta.json
 * into the call directory (contract §5). A worker failure is never a parse failure.
 * Impure (processes, files, timers).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { spawnGroup } from '../proc/spawn-group.js';
import { wrapCommand } from '../sandbox/wrap-command.js';
import type { SandboxStatus } from '../sandbox/sandbox-status.js';
import { engineVersion, schemaVersion } from '../version.js';
import type { MarkersPhase, NormalizedEvent, ProcessExit, Usage, WorkerCallContext, WorkerInvocation, WorkerPlugin } from './types.js';
import { createTranscriptSink, DEFAULT_CAP_BYTES } from './transcript-sink.js';
import { collectSecrets, createStreamRedactor, DEFAULT_REDACT, redactText } from './redact.js';
import { BufferedFileWriter, writeFileAtomic, writeJsonAtomic } from './write-files.js';
import { checkMarkersValue, isMarkersPhase, readMarkers, type MarkersResult } from './extract-markers.js';
import { buildWorkerEnv } from './worker-env.js';
import { scrubHome, type HomeScrubHit } from './scrub-home.js';

export type CallOutcome = 'ok' | 'failed' | 'timed_out' | 'incomplete';

export interface RunWorkerCallOptions {
  plugin: WorkerPlugin;
  ctx: WorkerCallContext;
  /** The call's directory (`calls/NNNN-<step>-<worker>/`); created here. See allocateCallDir. */
  callDir: string;
  /** Schema the answer's markers are checked against; default: ctx.phase when it has one. */
  markersPhase?: MarkersPhase | null;
  /** transcripts.raw_cap_bytes: stdout.log (and stderr.log) keep at most this many bytes. */
  rawCapBytes?: number;
  /** transcripts.redact: env var NAME globs whose values never reach disk. */
  redact?: readonly string[];
  /** Wall-clock limit; default spec.timeout_s, else 1800 s. */
  timeoutMs?: number;
  /** Silence limit; default spec.idle_timeout_s, else 300 s. */
  idleTimeoutMs?: number;
  /** After the terminal event, how long the process may take to exit before it is ended. */
  terminalGraceMs?: number;
  /** Between SIGTERM and SIGKILL when a group is ended. */
  killGraceMs?: number;
  /** Lines longer than this go to a side file. */
  longLineBytes?: number;
  /** The OS sandbox to run the CLI in; when active, ctx.sandboxed must be true. Default none. */
  sandbox?: SandboxStatus;
  /** The CLI's version when the caller knows it; undefined: ask the plugin. */
  cliVersion?: string | null;
  /** The child's pid (= its process group id), for state.json. */
  onSpawn?: (pid: number) => void;
  onEvent?: (event: NormalizedEvent) => void;
  signal?: AbortSignal;
}

export interface CallMeta {
  schema_version: number;
  engine_version: string;
  worker: string;
  plugin: string;
  phase: string;
  markers_phase: MarkersPhase | null;
  cli_version: string | null;
  dialect: string;
  bin: string;
  args: string[];
  /** The CLI ran inside the engine's OS sandbox (bin and args are the CLI's, without bwrap's). */
  sandboxed: boolean;
  pid: number | null;
  exit_code: number | null;
  signal: string | null;
  timed_out: boolean;
  idle_timed_out: boolean;
  reaped_after_terminal: boolean;
  aborted: boolean;
  duration_ms: number;
  bytes: number;
  stderr_bytes: number;
  truncated: boolean;
  cap_bytes: number;
  long_lines: { line: number; bytes: number; sha256: string; file: string | null }[];
  event_count: number;
  unknown_event_types: Record<string, number>;
  usage: Usage | null;
  cost: number | null;
  session_id: string | null;
  outcome: CallOutcome;
  error: string | null;
  markers_error: string | null;
  warnings: string[];
  /** Files of the worker's private home in which a secret's value was found and scrubbed. */
  secrets_scrubbed: number;
}

export interface CallResult {
  outcome: CallOutcome;
  /** The worker answered but its markers are missing or invalid (only when outcome is ok). */
  parseFailed: boolean;
  markers: Record<string, unknown> | null;
  markersError: string | null;
  text: string;
  sessionId: string | null;
  usage: Usage | null;
  costUsd: number | null;
  meta: CallMeta;
  callDir: string;
  /** What the home scan after the call scrubbed (file relative to the home, variable names). */
  homeScrubbed: HomeScrubHit[];
}

const STDERR_TAIL = 64 * 1024;

export async function runWorkerCall(options: RunWorkerCallOptions): Promise<CallResult> {
  const { plugin, callDir } = options;
  // The plugin builds on the allow-list, never on the engine's whole environment.
  const ctx = narrowEnv(options.ctx, plugin);
  mkdirSync(callDir, { recursive: true });
  const cap = options.rawCapBytes ?? DEFAULT_CAP_BYTES;
  const markersPhase = options.markersPhase !== undefined ? options.markersPhase : isMarkersPhase(ctx.phase) ? ctx.phase : null;

  let inv: WorkerInvocation;
  try {
    await plugin.prepare?.(ctx);
    inv = plugin.invoke(ctx);
  } catch (e) {
    // A plugin that cannot build its command line (no bin, bad options): a failed call.
    inv = invalidInvocation(ctx, `worker ${ctx.workerName} (${plugin.name}) could not be invoked: ${(e as Error).message}`);
  }
  const globs = options.redact ?? DEFAULT_REDACT;
  const secrets = collectSecrets(globs, [options.ctx.baseEnv, inv.env, ctx.spec.env]);
  const startedAtMs = Date.now();
  const scrub = (s: string): string => redactText(s, secrets);
  writeFileAtomic(path.join(callDir, 'prompt.md'), scrub(ctx.prompt));
  const cliVersion = options.cliVersion !== undefined ? options.cliVersion : await plugin.detectVersion({ bin: inv.bin, env: inv.env }).catch(() => null);

  const parser = plugin.createParser(ctx);
  let terminalTimer: NodeJS.Timeout | undefined;
  let reaped = false;
  let aborted = false;
  let group: ReturnType<typeof spawnGroup> | null = null;
  const sink = createTranscriptSink({
    dir: callDir,
    parser,
    capBytes: cap,
    longLineBytes: options.longLineBytes,
    secrets,
    onEvent: options.onEvent,
    onLine: () => {
      // A CLI that printed its terminal event but hangs on (a child holding it) is reaped.
      if (terminalTimer || !parser.sawTerminal?.()) return;
      terminalTimer = setTimeout(() => {
        reaped = true;
        group?.kill();
      }, options.terminalGraceMs ?? 5000);
    },
  });
  const stderrLog = new BufferedFileWriter(path.join(callDir, 'stderr.log'));
  const stderrRedactor = createStreamRedactor(secrets);
  let stderrBytes = 0;
  let stderrKept = 0;
  let stderrTail = '';
  const takeStderr = (data: Buffer): void => {
    if (stderrKept < cap) {
      const piece = data.subarray(0, cap - stderrKept);
      stderrLog.write(piece);
      stderrKept += piece.length;
    }
    stderrTail = (stderrTail + data.toString('utf8')).slice(-STDERR_TAIL);
  };

  const timeoutMs = options.timeoutMs ?? (ctx.spec.timeout_s ?? 1800) * 1000;
  const idleTimeoutMs = options.idleTimeoutMs ?? (ctx.spec.idle_timeout_s ?? 300) * 1000;
  const sandboxed = Boolean(options.sandbox?.active);
  const spawned = wrapCommand(options.sandbox, { bin: inv.bin, args: inv.args, cwd: inv.cwd, workspace: ctx.cwd, readOnly: ctx.readOnly, home: ctx.homeDir, writable: inv.writable });
  group = spawnGroup(spawned.bin, spawned.args, {
    cwd: inv.cwd,
    env: inv.env,
    stdin: inv.stdin === 'prompt' ? ctx.prompt : null,
    timeoutMs,
    idleTimeoutMs,
    graceMs: options.killGraceMs,
    onSpawn: options.onSpawn,
    onStdout: (chunk) => sink.push(chunk),
    onStderr: (chunk) => {
      stderrBytes += chunk.length;
      takeStderr(stderrRedactor.push(chunk));
    },
  });
  const onAbort = (): void => {
    aborted = true;
    group?.kill();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const r = await group.done;
  if (terminalTimer) clearTimeout(terminalTimer);
  options.signal?.removeEventListener('abort', onAbort);
  takeStderr(stderrRedactor.flush());
  stderrLog.close();

  const exit: ProcessExit = {
    exitCode: r.exitCode,
    signal: r.signal,
    timedOut: r.timedOut,
    idleTimedOut: r.idleTimedOut,
    spawnError: r.error,
    reapedAfterTerminal: reaped,
  };
  const summary = sink.finish(exit, stderrTail);
  const parsed = summary.parsed;
  const warnings = [...summary.warnings];
  if (reaped) warnings.push('the worker printed its terminal event but did not exit: its process group was ended');

  let outcome: CallOutcome =
    parsed.outcome === 'incomplete' && (r.timedOut || r.idleTimedOut) ? 'timed_out' : parsed.outcome;
  let error = parsed.error;
  if (aborted && outcome !== 'ok') {
    outcome = 'incomplete';
    error = 'the call was aborted';
  }

  const text = scrub(parsed.finalText);
  writeFileAtomic(path.join(callDir, 'text.md'), capText(text, cap, warnings));
  // The CLI's own files: the values of the engine's secrets must not stay in its home.
  const homeScrubbed = scrubHome(ctx.homeDir, collectSecrets(globs, [options.ctx.baseEnv]), { changedSinceMs: startedAtMs - 2000 });
  for (const h of homeScrubbed) warnings.push(`the worker's home held the value of ${h.names.join(', ')}: scrubbed in ${h.file}`);
  let markers: MarkersResult | null = null;
  if (outcome === 'ok' && markersPhase) {
    markers = decideMarkers(text, parsed.structuredOutput, ctx.outputSchemaPath !== null, markersPhase);
    warnings.push(...markers.warnings);
    if (markers.ok) writeJsonAtomic(path.join(callDir, 'markers.json'), markers.value);
  }
  const markersError = markers && !markers.ok ? markers.error : null;

  const meta: CallMeta = {
    schema_version: schemaVersion,
    engine_version: engineVersion,
    worker: ctx.workerName,
    plugin: plugin.name,
    phase: ctx.phase,
    markers_phase: markersPhase,
    cli_version: cliVersion,
    dialect: parsed.dialect,
    bin: inv.bin,
    args: inv.args.map(scrub),
    sandboxed,
    pid: r.pid,
    exit_code: r.exitCode,
    signal: r.signal,
    timed_out: r.timedOut,
    idle_timed_out: r.idleTimedOut,
    reaped_after_terminal: reaped,
    aborted,
    duration_ms: r.durationMs,
    bytes: summary.bytes,
    stderr_bytes: stderrBytes,
    truncated: summary.truncated,
    cap_bytes: cap,
    long_lines: summary.longLines,
    event_count: summary.eventCount,
    unknown_event_types: parsed.unknownEventTypes,
    usage: parsed.usage,
    cost: parsed.costUsd,
    session_id: parsed.sessionId,
    outcome,
    error: error === null ? null : scrub(error),
    markers_error: markersError,
    warnings: warnings.slice(0, 200).map(scrub),
    secrets_scrubbed: homeScrubbed.length,
  };
  writeJsonAtomic(path.join(callDir, 'meta.json'), meta);

  return {
    outcome,
    parseFailed: markers !== null && !markers.ok,
    markers: markers?.ok ? markers.value : null,
    markersError,
    text,
    sessionId: parsed.sessionId,
    usage: parsed.usage,
    costUsd: parsed.costUsd,
    meta,
    callDir,
    homeScrubbed,
  };
}

/**
 * Native structured output counts when the answer has no markers block: claude's
 * `structured_output`, or (codex --output-schema) an answer that is the JSON object itself.
 */
function decideMarkers(text: string, structured: unknown, structuredMode: boolean, phase: MarkersPhase): MarkersResult {
  const hasBlock = /^\s*BEGIN_MARKERS\s*$/m.test(text);
  if (!hasBlock && structured !== undefined && structured !== null) return checkMarkersValue(structured, phase);
  if (!hasBlock && structuredMode) {
    const trimmed = text.trim();
    if (trimmed.startsWith('{')) {
      try {
        return checkMarkersValue(JSON.parse(trimmed), phase);
      } catch {
        /* not JSON: fall through to the block rules, which name the problem */
      }
    }
  }
  return readMarkers(text, phase);
}

/**
 * Creates the next call directory under `callsDir`: `NNNN-<step>-<worker>` with NNNN one
 * more than the highest present. Impure (reads and creates a directory).
 */
export function allocateCallDir(callsDir: string, step: string, workerName: string): string {
  mkdirSync(callsDir, { recursive: true });
  let highest = 0;
  for (const name of readdirSync(callsDir)) {
    const n = /^(\d{4,})-/.exec(name);
    if (n) highest = Math.max(highest, Number(n[1]));
  }
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]+/g, '_');
  const dir = path.join(callsDir, `${String(highest + 1).padStart(4, '0')}-${safe(step)}-${safe(workerName)}`);
  mkdirSync(dir);
  return dir;
}

/**
 * The context a plugin sees: `baseEnv` narrowed to the allow-list (base names, the plugin's
 * declared names, the worker's `env_pass`), HOME the private home when the worker is isolated.
 */
function narrowEnv(ctx: WorkerCallContext, plugin: WorkerPlugin): WorkerCallContext {
  const isolated = Boolean(ctx.spec.model_endpoint || ctx.spec.isolate_home);
  if (isolated) mkdirSync(ctx.homeDir, { recursive: true });
  const baseEnv = buildWorkerEnv({ engineEnv: ctx.baseEnv, pluginPass: plugin.envPass, specPass: ctx.spec.env_pass, home: isolated ? ctx.homeDir : null });
  return { ...ctx, baseEnv };
}

/** text.md holds at most `cap` bytes: the start of the answer and a line saying it was cut. */
function capText(text: string, cap: number, warnings: string[]): string {
  const bytes = Buffer.byteLength(text);
  if (bytes <= cap) return text;
  warnings.push(`the answer (${bytes} bytes) exceeded the cap of ${cap} bytes: text.md is cut there`);
  const note = `\n[engine: answer cut at the cap of ${cap} bytes; it had ${bytes} bytes]\n`;
  const buf = Buffer.from(text);
  let keep = Math.max(0, cap - Buffer.byteLength(note));
  while (keep > 0 && (buf[keep]! & 0xc0) === 0x80) keep--; // not inside a UTF-8 character
  return buf.subarray(0, keep).toString('utf8') + note;
}

/** A real process that reports the error on stderr and exits 2: recorded like any failure. */
function invalidInvocation(ctx: WorkerCallContext, message: string): WorkerInvocation {
  return {
    bin: process.execPath,
    args: ['-e', 'process.stderr.write(process.argv[1] + "\\n"); process.exit(2)', message],
    env: { PATH: ctx.baseEnv.PATH ?? '' },
    cwd: ctx.cwd,
    stdin: 'closed',
  };
}
