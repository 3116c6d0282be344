import { closeSync, mkdirSync, renameSync, statSync, writeSync } from 'node:fs';
import { createCappedOutput } from './capped-output.js';
import path from 'node:path';
import { spawnGroup } from '../proc/spawn-group.js';
import { wrapCommand } from '../sandbox/wrap-command.js';
import type { SandboxStatus } from '../sandbox/sandbox-status.js';
import { createTail } from './output-tail.js';
import { createStreamRedactor, redactText, type Secret } from '../workers/redact.js';
import { removeFile } from '../util/remove-tree.js';
import { openFreshFile } from '../util/open-own-file.js';

/** What a command's log keeps when the caller names no cap: the default of transcripts.raw_cap_bytes. */
const DEFAULT_CAP_BYTES = 5 * 2 ** 20;

export type VerifyTier = 'tier0' | 'tier0_fast' | 'tier1' | 'tier2';
/** What a log of run-verification is for: a tier, or the workspace set-up. */
export type VerifyRun = VerifyTier | 'setup';

export interface RunVerificationOptions {
  tier: VerifyRun;
  /** Shell command lines, run in order through `sh -c`. */
  commands: readonly string[];
  /** Directory the commands run in (the worktree joined with `verification.cwd`). */
  cwd: string;
  /** Per-command limit in seconds (the tier's `timeout_s`); 0 for none. */
  timeoutS: number;
  /** The `verify/NNNN-<tier>.log` file; it appears only once complete. */
  logPath: string;
  /** The most of one command's output the log keeps (the policy's transcripts.raw_cap_bytes); default 5 MiB. */
  capBytes?: number;
  env: NodeJS.ProcessEnv;
  /** Names of the user's environment left out of `env`, named in the log's head. */
  withheld?: readonly string[];
  /** Lines for the log's head, after the withheld names (what was done to the workspace first); redacted. */
  head?: string;
  /** Called with each command's pid (= its process group id) once it runs. */
  onSpawn?: (pid: number) => void;
  /** Aborting ends the running command's group; the tier then fails (or is skipped for tier1). */
  signal?: AbortSignal;
  /** Time between SIGTERM and SIGKILL when a command is ended. */
  graceMs?: number;
  /** Values replaced by their redaction mark in the log and the output tail. */
  secrets?: readonly Secret[];
  /** The OS sandbox each command runs in, with `workspace` writable; default none. */
  sandbox?: SandboxStatus;
  /** The directory the sandbox leaves writable (the worktree); default `cwd`. */
  workspace?: string;
}

export interface CommandResult {
  command: string;
  /** null when the command was ended by a signal or could not start. */
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** The last ~4 KB of stdout and stderr as they arrived (for repair prompts). */
  outputTail: string;
  /** Why it could not start, when it could not. */
  error: string | null;
}

export interface VerificationResult {
  tier: VerifyRun;
  /** Every command ran and exited 0 (an empty list passes). */
  pass: boolean;
  /** tier1 went past its limit: not run to the end, not a failure; recorded. */
  skipped: boolean;
  /** One word for the timeline: pass, fail or skipped. */
  outcome: 'pass' | 'fail' | 'skipped';
  /** `no commands` for an empty list, the skip or abort reason, else null. */
  note: string | null;
  /** Commands run, in order; the run stops at the first that does not pass. */
  results: CommandResult[];
}

const TAIL_BYTES = 4096;

/** The log line that names the variables left out of the commands' environment, or nothing. Pure. */
export function describeWithheld(withheld: readonly string[]): string {
  return withheld.length ? `# not in these commands' environment (worker provider keys and variables that name or hold credentials; verification.env_pass passes them): ${withheld.join(', ')}\n` : '';
}

/**
 * Runs a tier's commands one after another, each through `sh -c` in its own process group
 * with the per-command limit; stops at the first failure (later commands often depend on
 * earlier ones, and the repair prompt needs the first failure). tier1 past its limit is
 * skipped, any other tier past its limit fails. The log is written to a temp file beside
 * `logPath`, fsynced and renamed at the end, so a crash never leaves a log that looks
 * complete. Impure (processes, filesystem).
 */
export async function runVerification(options: RunVerificationOptions): Promise<VerificationResult> {
  mkdirSync(path.dirname(options.logPath), { recursive: true });
  const tempPath = `${options.logPath}.partial-${process.pid}`;
  // A fresh file, never one found at the name (a link planted in the run store: its name is guessable).
  const fd = openFreshFile(tempPath);
  const write = (text: string | Buffer): void => {
    writeSync(fd, typeof text === 'string' ? Buffer.from(text) : text);
  };
  const results: CommandResult[] = [];
  let note: string | null = null;
  let skipped = false;
  let failed = false;
  try {
    write(`# engine verification ${options.tier} in ${options.cwd} (limit ${options.timeoutS || 'none'} s per command)\n`);
    write(describeWithheld(options.withheld ?? []));
    if (options.head) write(redactText(options.head, options.secrets ?? []));
    if (options.commands.length === 0) {
      note = 'no commands';
      write('# no commands\n');
    }
    for (const command of options.commands) {
      if (options.signal?.aborted) {
        note = 'aborted';
        failed = true;
        break;
      }
      // A command line can hold a secret's value as easily as its output can.
      write(redactText(`$ ${command}\n`, options.secrets ?? []));
      const result = await runCommand(command, options, write);
      results.push(result);
      write(redactText(`\n${describeEnd(result, options.timeoutS)}\n`, options.secrets ?? []));
      if (result.exitCode === 0 && !result.timedOut) continue;
      if (options.signal?.aborted) {
        note = 'aborted';
        failed = true;
      } else if (result.timedOut && options.tier === 'tier1') {
        skipped = true;
        note = `skipped: ${command} went past the tier1 limit of ${options.timeoutS} s`;
      } else {
        failed = true;
      }
      break;
    }
    const outcome = skipped ? 'skipped' : failed ? 'fail' : 'pass';
    write(`# ${options.tier} ${outcome}${note ? ` (${note})` : ''}\n`);
    // Renamed into place whole; not fsynced (the timeline is: decision 0006).
    closeSync(fd);
    renameSync(tempPath, options.logPath);
    return { tier: options.tier, pass: outcome === 'pass', skipped, outcome, note, results };
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      /* already closed */
    }
    removeFile(tempPath);
    throw error;
  }
}

async function runCommand(
  command: string,
  options: RunVerificationOptions,
  write: (chunk: Buffer) => void,
): Promise<CommandResult> {
  const tail = createTail(TAIL_BYTES);
  // stdout and stderr share the log; one redactor over the merged stream keeps it in order.
  const redactor = createStreamRedactor(options.secrets ?? []);
  const log = createCappedOutput(write, options.capBytes ?? DEFAULT_CAP_BYTES);
  const emit = (chunk: Buffer): void => {
    if (!chunk.length) return;
    log.push(chunk);
    tail.push(chunk);
  };
  const onOutput = (chunk: Buffer): void => emit(redactor.push(chunk));
  // A directory the workspace lacks (verification.cwd misspelt, or not made yet) is said as
  // such: spawning there failed as "spawn /usr/bin/bwrap ENOENT", which blamed the sandbox.
  const missing = missingDirectory(options.cwd);
  if (missing) {
    emit(Buffer.from(`engine: could not start: ${missing}\n`));
    log.end();
    return { command, exitCode: null, timedOut: false, durationMs: 0, outputTail: tail.text(), error: missing };
  }
  const cmd = wrapCommand(options.sandbox, { bin: 'sh', args: ['-c', command], cwd: options.cwd, workspace: options.workspace ?? options.cwd, readOnly: false, home: null });
  const group = spawnGroup(cmd.bin, cmd.args, {
    cwd: options.cwd,
    env: options.env,
    stdin: null,
    timeoutMs: options.timeoutS > 0 ? options.timeoutS * 1000 : 0,
    graceMs: options.graceMs,
    onStdout: onOutput,
    onStderr: onOutput,
    onSpawn: options.onSpawn,
    infoFd: cmd.infoFd,
    inputFd: cmd.inputFd,
  });
  const abort = (): void => group.kill();
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    const r = await group.done;
    if (r.error) onOutput(Buffer.from(`engine: could not start: ${r.error}\n`));
    emit(redactor.flush());
    log.end();
    return {
      command,
      exitCode: r.error ? null : r.exitCode,
      timedOut: r.timedOut,
      durationMs: r.durationMs,
      outputTail: tail.text(),
      error: r.error,
    };
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
}

/** Why commands cannot run in `dir` (not there, or not a directory), or null. Impure (stat). */
function missingDirectory(dir: string): string | null {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (st === undefined) return `the directory it is to run in, ${dir}, does not exist in the workspace (verification.cwd)`;
  return st.isDirectory() ? null : `${dir}, where it is to run, is not a directory (verification.cwd)`;
}

function describeEnd(r: CommandResult, timeoutS: number): string {
  const how = r.timedOut
    ? `timed out after ${timeoutS} s`
    : r.error
      ? `could not start: ${r.error}`
      : r.exitCode === null
        ? 'ended by a signal'
        : `exit ${r.exitCode}`;
  return `# [${how}; duration ${r.durationMs} ms] ${r.command}`;
}
