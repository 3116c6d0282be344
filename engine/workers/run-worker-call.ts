/**
 * One worker call, start to finish: prepare the plugin, spawn its CLI in a process group,
 * stream stdout through redaction, stdout.log, the parser and events.jsonl, watch the wall
 * and idle limits and the terminal event, then write text.md, markers.json and meta.json
 * into the call directory (contract §5). A worker failure is never a parse failure.
 * Impure (processes, files, timers).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { spawnGroup, type SpawnedGroup, type SpawnGroupOptions, type SpawnGroupResult } from '../proc/spawn-group.js';
import { programInSandbox, wrapCommand } from '../sandbox/wrap-command.js';
import type { SandboxStatus } from '../sandbox/sandbox-status.js';
import { engineVersion, schemaVersion } from '../version.js';
import type { MarkersPhase, NormalizedEvent, ProcessExit, StreamParser, Usage, WorkerCallContext, WorkerInvocation, WorkerPlugin } from './types.js';
import { createTranscriptSink, DEFAULT_CAP_BYTES, type TranscriptSummary } from './transcript-sink.js';
import { collectSecrets, createStreamRedactor, DEFAULT_REDACT, redactText, type Secret } from './redact.js';
import { BufferedFileWriter, writeFileAtomic, writeJsonAtomic } from './write-files.js';
import { checkMarkersValue, isMarkersPhase, readMarkers, type MarkersResult } from './extract-markers.js';
import { buildWorkerEnv, hasPrivateHome } from './worker-env.js';
import { scrubHome, type HomeScrubHit } from './scrub-home.js';
import { pushAll } from '../util/many.js';
import { parseJson } from '../util/parse-json.js';
import { messageOf } from '../util/message-of.js';
import { askVersion } from './ask-version.js';
import { invocationProblem } from './guard-parser.js';

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
  /**
   * Called once the call's processes are gone (its group swept, its output read to the end),
   * before its transcript is finished and its answer recorded: what the workspace holds then is
   * what the call left, so work on it can begin while the call's records are written.
   */
  onExit?: () => void;
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
  /** Where the call's processes could write (its sandbox's grants); null: wherever its user can. */
  writes: string[] | null;
}

const STDERR_TAIL = 64 * 1024;

/**
 * The stages in order: prepare the call (directory, invocation, secrets, prompt.md), spawn
 * and stream (stdout.log, events.jsonl, stderr.log), classify the outcome, record the answer
 * (text.md, home scrub, markers.json), then write meta.json.
 */
export async function runWorkerCall(options: RunWorkerCallOptions): Promise<CallResult> {
  const call = await prepareCall(options);
  const run = await spawnAndStream(options, call);
  const { outcome, error } = classifyOutcome(run, callLimits(options, call));
  const answer = recordAnswer(options, call, run, outcome);
  const markersError = answer.markers && !answer.markers.ok ? answer.markers.error : null;
  const meta = buildCallMeta(options, call, run, { outcome, error, markersError, homeScrubbed: answer.homeScrubbed.length });
  writeJsonAtomic(path.join(options.callDir, 'meta.json'), meta);
  const { parsed } = run.summary;
  return {
    outcome,
    parseFailed: answer.markers !== null && !answer.markers.ok,
    markers: answer.markers?.ok ? answer.markers.value : null,
    markersError,
    text: answer.text,
    sessionId: parsed.sessionId,
    usage: parsed.usage,
    costUsd: parsed.costUsd,
    meta,
    callDir: options.callDir,
    homeScrubbed: answer.homeScrubbed,
    writes: run.writes,
  };
}

/** What the first stage settles before anything runs. */
interface PreparedCall {
  /** The context the plugin saw: the environment narrowed to the allow-list. */
  ctx: WorkerCallContext;
  inv: WorkerInvocation;
  cap: number;
  markersPhase: MarkersPhase | null;
  /** transcripts.redact globs, and the secret values they match in every environment of the call. */
  globs: readonly string[];
  secrets: Secret[];
  scrub: (s: string) => string;
  startedAtMs: number;
  cliVersion: string | null;
}

/** Stage 1: the call directory, the plugin's invocation, the secrets to redact, prompt.md, the CLI version. */
async function prepareCall(options: RunWorkerCallOptions): Promise<PreparedCall> {
  const { plugin, callDir } = options;
  // The plugin builds on the allow-list, never on the engine's whole environment.
  const ctx = narrowEnv(options.ctx, plugin);
  mkdirSync(callDir, { recursive: true });
  const cap = options.rawCapBytes ?? DEFAULT_CAP_BYTES;
  const markersPhase = options.markersPhase !== undefined ? options.markersPhase : isMarkersPhase(ctx.phase) ? ctx.phase : null;
  const inv = await invokePlugin(plugin, ctx);
  const globs = options.redact ?? DEFAULT_REDACT;
  const secrets = collectSecrets(globs, [options.ctx.baseEnv, inv.env, ctx.spec.env]);
  const startedAtMs = Date.now();
  const scrub = (s: string): string => redactText(s, secrets);
  writeFileAtomic(path.join(callDir, 'prompt.md'), scrub(ctx.prompt));
  const cliVersion = options.cliVersion !== undefined ? options.cliVersion : await askVersion(plugin, inv.bin, inv.env);
  return { ctx, inv, cap, markersPhase, globs, secrets, scrub, startedAtMs, cliVersion };
}

async function invokePlugin(plugin: WorkerPlugin, ctx: WorkerCallContext): Promise<WorkerInvocation> {
  try {
    await plugin.prepare?.(ctx);
    const inv = plugin.invoke(ctx);
    const wrong = invocationProblem(inv);
    if (wrong) throw new Error(`invoke() returned ${wrong}`);
    return { ...inv, bin: binInCheckout(inv.bin, ctx.projectDirs?.[0]) };
  } catch (e) {
    // A plugin that cannot build its command line (no bin, bad options): a failed call.
    return invalidInvocation(ctx, `worker ${ctx.workerName} (${String(plugin.name)}) could not be invoked: ${messageOf(e)}`);
  }
}

/**
 * A relative path as `bin` (`./tools/agent.sh`) names a file of the user's checkout, where the
 * doctor looks for it: started from the workspace instead, a script only in the checkout was
 * not there, and a committed one was the workspace's copy, which a worker can rewrite for the
 * calls after its own (the reviewer's). A bare name (found on PATH) and an absolute path stay
 * as they are. Pure.
 */
export function binInCheckout(bin: string, checkout: string | undefined): string {
  return checkout !== undefined && bin.includes('/') && !path.isAbsolute(bin) ? path.resolve(checkout, bin) : bin;
}

/** What the second stage saw of the process and its output. */
interface StreamedCall {
  result: SpawnGroupResult;
  summary: TranscriptSummary;
  reaped: boolean;
  aborted: boolean;
  stderrBytes: number;
  /** The transcript's warnings and the engine's notes on the call, in order; later stages add theirs. */
  warnings: string[];
  /** Where its processes could write (see CallResult). */
  writes: string[] | null;
}

/** Stage 2: spawn the CLI in its process group and stream stdout and stderr into the call directory. */
async function spawnAndStream(options: RunWorkerCallOptions, call: PreparedCall): Promise<StreamedCall> {
  const parser = options.plugin.createParser(call.ctx);
  let group: SpawnedGroup | null = null;
  const reaper = watchTerminal(parser, options.terminalGraceMs ?? 5000, () => group?.kill());
  const sink = createTranscriptSink({
    dir: options.callDir,
    parser,
    capBytes: call.cap,
    longLineBytes: options.longLineBytes,
    secrets: call.secrets,
    onEvent: options.onEvent,
    onLine: reaper.onLine,
  });
  const stderr = captureStderr(path.join(options.callDir, 'stderr.log'), call.secrets, call.cap);
  const command = buildCommand(options, call);
  group = spawnGroup(command.bin, command.args, {
    ...command.options,
    graceMs: options.killGraceMs,
    onSpawn: options.onSpawn,
    onStdout: (chunk) => sink.push(chunk),
    onStderr: stderr.push,
    infoFd: command.infoFd,
    inputFd: command.inputFd,
  });
  const abort = watchAbort(options.signal, () => group?.kill());

  const result = await group.done;
  reaper.stop();
  abort.stop();
  options.onExit?.();
  const { bytes: stderrBytes, tail: stderrTail } = stderr.finish();
  const exit: ProcessExit = {
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    idleTimedOut: result.idleTimedOut,
    spawnError: result.error,
    reapedAfterTerminal: reaper.reaped(),
  };
  const summary = sink.finish(exit, stderrTail);
  const warnings = [...summary.warnings];
  if (reaper.reaped()) warnings.push('the worker printed its terminal event but did not exit: its process group was ended');
  if (result.outputHeldOpen) warnings.push('a process the worker left outside its group (setsid) held its output open after it exited: the engine stopped reading it (no OS sandbox to end it)');
  return { result, summary, reaped: reaper.reaped(), aborted: abort.aborted(), stderrBytes, warnings, writes: command.writes };
}

/** The command line to spawn (inside the sandbox when one is active) and its limits. */
function buildCommand(options: RunWorkerCallOptions, call: PreparedCall): { bin: string; args: string[]; infoFd?: number; inputFd?: { at: number; bytes: Buffer }; writes: string[] | null; options: Pick<SpawnGroupOptions, 'cwd' | 'env' | 'stdin' | 'timeoutMs' | 'idleTimeoutMs'> } {
  const { ctx, inv } = call;
  // A bare name found where the sandbox hides it (a global install under /tmp) is started from there: bound again.
  const program = options.sandbox?.active && options.sandbox.bwrap ? programInSandbox(inv.bin, inv.cwd, inv.env) : { bin: inv.bin, readable: [] };
  const spawned = wrapCommand(options.sandbox, { bin: program.bin, args: inv.args, cwd: inv.cwd, workspace: ctx.cwd, readOnly: ctx.readOnly, home: ctx.homeDir, writable: inv.writable, readable: program.readable });
  return {
    bin: spawned.bin,
    args: spawned.args,
    infoFd: spawned.infoFd,
    inputFd: spawned.inputFd,
    writes: spawned.writes,
    options: {
      cwd: inv.cwd,
      env: inv.env,
      stdin: inv.stdin === 'prompt' ? ctx.prompt : null,
      ...callLimits(options, call),
    },
  };
}

/** A call's time limit and idle limit: the caller's, else the worker's `timeout_s` and `idle_timeout_s`. Pure. */
function callLimits(options: RunWorkerCallOptions, call: PreparedCall): { timeoutMs: number; idleTimeoutMs: number } {
  return {
    timeoutMs: options.timeoutMs ?? (call.ctx.spec.timeout_s ?? 1800) * 1000,
    idleTimeoutMs: options.idleTimeoutMs ?? (call.ctx.spec.idle_timeout_s ?? 300) * 1000,
  };
}

/** A CLI that printed its terminal event but hangs on (a child holding it) is reaped after `graceMs`. */
function watchTerminal(parser: StreamParser, graceMs: number, kill: () => void): { onLine: () => void; stop: () => void; reaped: () => boolean } {
  let timer: NodeJS.Timeout | undefined;
  let reaped = false;
  return {
    onLine: () => {
      if (timer || !parser.sawTerminal?.()) return;
      timer = setTimeout(() => {
        reaped = true;
        kill();
      }, graceMs);
    },
    stop: () => {
      if (timer) clearTimeout(timer);
    },
    reaped: () => reaped,
  };
}

/** The caller's abort ends the group; `stop` forgets the signal once the process is gone. */
function watchAbort(signal: AbortSignal | undefined, kill: () => void): { stop: () => void; aborted: () => boolean } {
  let aborted = false;
  const onAbort = (): void => {
    aborted = true;
    kill();
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return { stop: () => signal?.removeEventListener('abort', onAbort), aborted: () => aborted };
}

/** stderr.log (redacted, up to the cap) and the last 64 KiB as text for the parser's end. */
function captureStderr(file: string, secrets: readonly Secret[], cap: number): { push: (chunk: Buffer) => void; finish: () => { bytes: number; tail: string } } {
  const log = new BufferedFileWriter(file);
  const redactor = createStreamRedactor(secrets);
  let bytes = 0;
  let kept = 0;
  let tail = '';
  const take = (data: Buffer): void => {
    if (kept < cap) {
      const piece = data.subarray(0, cap - kept);
      log.write(piece);
      kept += piece.length;
    }
    tail = (tail + data.toString('utf8')).slice(-STDERR_TAIL);
  };
  return {
    push: (chunk) => {
      bytes += chunk.length;
      take(redactor.push(chunk));
    },
    finish: () => {
      take(redactor.flush());
      log.close();
      return { bytes, tail };
    },
  };
}

/** Stage 3: the call's outcome from the parser's, the limits that fired and an abort. Pure. */
function classifyOutcome(run: StreamedCall, limits: { timeoutMs: number; idleTimeoutMs: number }): { outcome: CallOutcome; error: string | null } {
  const { parsed } = run.summary;
  const timedOut = run.result.timedOut || run.result.idleTimedOut;
  const outcome: CallOutcome = parsed.outcome === 'incomplete' && timedOut ? 'timed_out' : parsed.outcome;
  if (run.aborted && outcome !== 'ok') return { outcome: 'incomplete', error: 'the call was aborted' };
  if (outcome === 'timed_out') {
    // The limit first, by its value and key; what the parser adds after it (a bare "timed out" adds nothing).
    const limit = limitThatFired(run.result.idleTimedOut, limits);
    return { outcome, error: parsed.error && parsed.error !== 'timed out' ? `${limit}; ${parsed.error}` : limit };
  }
  return { outcome, error: parsed.error };
}

/** Which limit ended a call, with its value and the keys that set it, for the progress line, memo and summary. Pure. */
function limitThatFired(idle: boolean, limits: { timeoutMs: number; idleTimeoutMs: number }): string {
  const s = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;
  return idle
    ? `no output for ${s(limits.idleTimeoutMs)}: the idle limit ended it (idle_timeout_s, or budgets.worker_idle_timeout_s)`
    : `still running after ${s(limits.timeoutMs)}: the time limit ended it (timeout_s)`;
}

/** Stage 4: text.md, the scrub of the worker's home, and for an ok call the markers (markers.json). */
function recordAnswer(
  options: RunWorkerCallOptions,
  call: PreparedCall,
  run: StreamedCall,
  outcome: CallOutcome,
): { text: string; homeScrubbed: HomeScrubHit[]; markers: MarkersResult | null } {
  const { callDir } = options;
  const { ctx, markersPhase } = call;
  const { parsed } = run.summary;
  const text = call.scrub(parsed.finalText);
  writeFileAtomic(path.join(callDir, 'text.md'), capText(text, call.cap, run.warnings));
  // The CLI's own files: the values of the engine's secrets must not stay in its home.
  const homeScrubbed = scrubHome(ctx.homeDir, collectSecrets(call.globs, [options.ctx.baseEnv]), { changedSinceMs: call.startedAtMs - 2000 });
  for (const h of homeScrubbed) run.warnings.push(h.removed ? `the worker's home held what could not be searched for secrets (${h.removed}): removed, ${h.file}` : `the worker's home held the value of ${h.names.join(', ')}: scrubbed in ${h.file}`);
  let markers: MarkersResult | null = null;
  if (outcome === 'ok' && markersPhase) {
    markers = decideMarkers(text, parsed.structuredOutput, ctx.outputSchemaPath !== null, markersPhase);
    pushAll(run.warnings, markers.warnings);
    if (markers.ok) writeJsonAtomic(path.join(callDir, 'markers.json'), markers.value);
  }
  return { text, homeScrubbed, markers };
}

/** Stage 5: the call record (meta.json), every free text in it redacted. Pure. */
function buildCallMeta(
  options: RunWorkerCallOptions,
  call: PreparedCall,
  run: StreamedCall,
  end: { outcome: CallOutcome; error: string | null; markersError: string | null; homeScrubbed: number },
): CallMeta {
  const { ctx, inv, scrub } = call;
  const { result: r, summary } = run;
  const { parsed } = summary;
  return {
    schema_version: schemaVersion,
    engine_version: engineVersion,
    worker: ctx.workerName,
    plugin: options.plugin.name,
    phase: ctx.phase,
    markers_phase: call.markersPhase,
    cli_version: call.cliVersion,
    dialect: parsed.dialect,
    bin: inv.bin,
    args: inv.args.map(scrub),
    sandboxed: Boolean(options.sandbox?.active),
    pid: r.pid,
    exit_code: r.exitCode,
    signal: r.signal,
    timed_out: r.timedOut,
    idle_timed_out: r.idleTimedOut,
    reaped_after_terminal: run.reaped,
    aborted: run.aborted,
    duration_ms: r.durationMs,
    bytes: summary.bytes,
    stderr_bytes: run.stderrBytes,
    truncated: summary.truncated,
    cap_bytes: call.cap,
    long_lines: summary.longLines,
    event_count: summary.eventCount,
    unknown_event_types: parsed.unknownEventTypes,
    usage: parsed.usage,
    cost: parsed.costUsd,
    session_id: parsed.sessionId,
    outcome: end.outcome,
    error: end.error === null ? null : scrub(end.error),
    markers_error: end.markersError,
    warnings: run.warnings.slice(0, 200).map(scrub),
    secrets_scrubbed: end.homeScrubbed,
  };
}

/**
 * Native structured output counts when the answer has no markers block: claude's
 * `structured_output`, or (codex --output-schema) an answer that is the JSON object itself.
 */
function decideMarkers(text: string, structured: unknown, structuredMode: boolean, phase: MarkersPhase): MarkersResult {
  // Blanks of one line only: `^\s*` spanned line feeds, and a run of them was tried from each.
  const hasBlock = /^[ \t\r\f\v]*BEGIN_MARKERS[ \t\r\f\v]*$/m.test(text);
  if (!hasBlock && structured !== undefined && structured !== null) return checkMarkersValue(structured, phase);
  if (!hasBlock && structuredMode) {
    const trimmed = text.trim();
    if (trimmed.startsWith('{')) {
      try {
        return checkMarkersValue(parseJson(trimmed), phase);
      } catch {
        /* not JSON: fall through to the block rules, which name the problem */
      }
    }
  }
  return readMarkers(text, phase);
}

/**
 * Creates the next call directory under `callsDir`: `NNNN-<step>-<worker>` with NNNN one
 * more than the highest present. The directory is listed once per process (a resumed run
 * starts from what is there); after that the number this process last made is the highest,
 * so a call does not list the hundreds made before it. A name taken all the same (another
 * writer) lists again. Impure (reads and creates a directory).
 */
export function allocateCallDir(callsDir: string, step: string, workerName: string): string {
  mkdirSync(callsDir, { recursive: true });
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]+/g, '_');
  for (let listed = !lastCallNumber.has(callsDir); ; listed = true) {
    const next = (listed ? highestCallNumber(callsDir) : lastCallNumber.get(callsDir)!) + 1;
    const dir = path.join(callsDir, `${String(next).padStart(4, '0')}-${safe(step)}-${safe(workerName)}`);
    try {
      mkdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && !listed) continue;
      throw error;
    }
    lastCallNumber.set(callsDir, next);
    return dir;
  }
}

/** The number of the call directory this process made last, by calls directory. */
const lastCallNumber = new Map<string, number>();

/** The highest NNNN among `callsDir`'s entries (0 when none). Impure (lists a directory). */
function highestCallNumber(callsDir: string): number {
  let highest = 0;
  for (const name of readdirSync(callsDir)) {
    const n = /^(\d{4,})-/.exec(name);
    if (n) highest = Math.max(highest, Number(n[1]));
  }
  return highest;
}

/**
 * The context a plugin sees: `baseEnv` narrowed to the allow-list (base names, the plugin's
 * declared names, the worker's `env_pass`), HOME the private home when the worker is isolated.
 */
function narrowEnv(ctx: WorkerCallContext, plugin: WorkerPlugin): WorkerCallContext {
  const isolated = hasPrivateHome(ctx.spec);
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
