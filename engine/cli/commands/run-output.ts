import { printable, terminalSafeJson } from '../../util/printable.js';
import { takeEarlySignals } from '../../util/early-signals.js';
import { noteHangUp } from '../hang-up.js';
import type { TimelineEvent } from '../../generated/event.js';
import type { Diagnostic } from '../../vocabulary/diagnostics.js';
import { formatDiagnostic } from '../../vocabulary/diagnostics.js';
import { engineVersion, schemaVersion } from '../../version.js';
import type { CliIo } from '../io.js';
import { createProgress } from '../progress.js';
import { markdownForTerminal } from '../render-terminal.js';
import type { RunOutcome } from '../../runtime/finish-run.js';
import { MAX_RECORD_BYTES } from '../../util/read-or-null.js';
import { readRunTextOrNull } from '../../util/read-run-record.js';
import path from 'node:path';
import { runEnvFrom, type RunEnv } from '../../runtime/clock.js';
import { EXIT } from '../../vocabulary/exit-codes.js';
import { endLiveGroupsBlocking } from '../../proc/spawn-group.js';
import { RunCommandFailure, sayStanding, type RunStanding } from '../run-standing.js';
import { engineCommand } from '../../vocabulary/engine-command.js';

/**
 * What `run` and `resume` print: with --json every timeline event as one line on stdout as
 * it is appended (and one `run.rejected` for a refused run); otherwise progress on stderr and
 * the summary on stdout. Impure (writes io).
 */
export function createRunOutput(io: CliIo, json: boolean, noProgress: boolean) {
  // A live line redrawn in place only where escape codes may be written: a TTY without NO_COLOR (the contract names both).
  const progress = json || noProgress ? null : createProgress(io, io.color);
  return {
    onEvent(e: TimelineEvent): void {
      if (json) io.stdout(terminalSafeJson(JSON.stringify(e)) + '\n');
      else progress?.onEvent(e);
    },
    rejected(diagnostics: Diagnostic[], exitCode: number): number {
      progress?.stop();
      if (json) {
        io.stdout(terminalSafeJson(JSON.stringify({ type: 'run.rejected', schema_version: schemaVersion, engine_version: engineVersion, exit_code: exitCode, diagnostics })) + '\n');
      } else {
        for (const d of diagnostics) io.stderr(printable(formatDiagnostic(d)) + '\n');
      }
      return exitCode;
    },
    /** Said, at a terminal, when a first signal asks the run to stop (interruptSignal). */
    stopping(signal: NodeJS.Signals): void {
      if (!io.isTTY) return;
      const text = `engine: ${signal}: stopping once the running step's process has ended; press Ctrl-C again to stop at once`;
      if (progress) progress.say(text);
      else io.stderr(`${text}\n`);
    },
    /** Said when a second signal stopped the engine at once (interruptSignal). */
    stoppedAtOnce(signal: NodeJS.Signals, standing: RunStanding): void {
      progress?.stop();
      io.stderr(printable(`engine: a second ${signal}: stopped at once, the processes it started were ended; ${sayStanding(standing)}`) + '\n');
    },
    finished(outcome: RunOutcome): number {
      progress?.stop();
      if (outcome.unwritten) io.stderr(printable(`engine: warning: the run ${outcome.status === 'completed' ? 'completed' : 'stopped'} and its end is recorded, but the file system refused ${outcome.unwritten}; \`${engineCommand(`report ${outcome.runId}`)}\` shows the run\n`));
      if (!json) {
        // summary.md holds milestone ids and goals a worker chose: no control character reaches the terminal.
        // Read as the run's own record (a regular file, within a size): a worker without the
        // OS sandbox could have replaced it; then the run directory below still says where it is.
        // One the file system refused to write (the warning above) may be an older one: not shown.
        const file = path.join(outcome.runDir, 'summary.md');
        const summary = printable(readRunTextOrNull(file) ?? `(${file} cannot be read as a file of at most ${MAX_RECORD_BYTES} bytes)\n`);
        if (!outcome.unwritten) io.stdout(io.stdoutIsTTY ? markdownForTerminal(summary, io.color) : summary);
        io.stdout(`${outcome.unwritten ? '' : '\n'}run directory: ${outcome.runDir}\n`);
      }
      if (outcome.uncheckpointed) io.stderr(printable(`engine: warning: the run completed with changes no checkpoint took (the pipeline has no checkpoint step after its last change): the branch does not have them; they are in the workspace, kept: ${outcome.uncheckpointed} (\`${engineCommand('clean --resumable')}\` removes it)\n`));
      if (outcome.leftBehind) io.stderr(printable(`engine: warning: the run's workspace was left behind, the system refused its removal: ${outcome.leftBehind}; \`${engineCommand('clean')}\` removes it once it can\n`));
      return outcome.exitCode;
    },
  };
}

/** A signal this soon after the first is the same stop (npm and other wrappers pass on the terminal's Ctrl-C, which also reaches the engine). */
const SAME_STOP_MS = 300;

/** The signals that stop a run (the first as the running step ends, a second at once). */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * An AbortSignal that fires on SIGINT/SIGTERM/SIGHUP so the run stops `interrupted` (resumable)
 * after the current child is ended; `heard(signal)` is told of that first signal.
 *
 * A second signal (more than SAME_STOP_MS after the first, on the monotonic clock) stops the engine at once: whatever
 * it waits on (a git that does not end, a child slow to go) is ended with its whole group
 * (SIGTERM, then SIGKILL to what is left after a grace), `stopping(signal)`
 * says so, and the process exits 130. What the run recorded is durable as it is written, so
 * the run is left as a crash leaves it, and `engine resume` continues it. Impure (process
 * signal handlers).
 *
 * The handlers stay registered until disposed (`on`, not `once`): a library that re-raises a
 * signal when it sees itself as the last listener (signal-exit, as execa uses it) would otherwise
 * kill the engine whenever it was loaded after this was set up.
 */
export function interruptSignal(
  stopping: (signal: NodeJS.Signals) => void = () => {},
  heard: (signal: NodeJS.Signals) => void = () => {},
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let firstAt = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signal === 'SIGHUP') noteHangUp();
    if (!controller.signal.aborted) {
      firstAt = performance.now();
      controller.abort(signal);
      return heard(signal);
    }
    if (performance.now() - firstAt < SAME_STOP_MS) return;
    // Blocking: no step of the run goes on (and fails on the git ended under it) meanwhile.
    endLiveGroupsBlocking();
    stopping(signal);
    process.exit(EXIT.interrupted);
  };
  // SIGHUP: the terminal closed. It ended the engine with 129 and no record of the stop, the
  // run left `running`; it stops the run as Ctrl-C does.
  takeEarlySignals();
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
    },
  };
}

/** What a run-driving command hands to the runtime besides its own options. */
export interface LaunchContext {
  env: RunEnv;
  signal: AbortSignal;
  onEvent: (e: TimelineEvent) => void;
  /** The run's directory is made (start-run.ts) or found (resume-run.ts), and whether the run began: a stop or failure from here on names the run and its store. */
  onRun: (runId: string, runDir: string, began: boolean) => void;
  /** A run that failed before it began kept its branch (start-run.ts): the stop says so. */
  onBranchKept: (branch: string, repo: string) => void;
}

type Launched = { kind: 'rejected'; diagnostics: Diagnostic[]; exitCode: number } | ({ kind: 'finished' } & RunOutcome);

/**
 * Drive a run for `run`, `resume` and `demo` alike: output per --json/--no-progress, SIGINT
 * and SIGTERM turned into a resumable stop, the result printed and its exit code returned
 * (with the outcome, for callers that print more). Impure.
 */
export async function launchRun(
  io: CliIo,
  options: { json: boolean; noProgress: boolean; /** The run as `engine resume` was given it, when it drives one already made. */ resuming?: string },
  launch: (ctx: LaunchContext) => Promise<Launched>,
): Promise<{ code: number; outcome: RunOutcome | null }> {
  const out = createRunOutput(io, options.json, options.noProgress);
  // Where the run stands for a stop or failure: resume's run as it was given until it is found.
  const standing: RunStanding = { runId: options.resuming ?? null, runDir: null, began: options.resuming !== undefined };
  const interrupt = interruptSignal(
    (signal) => out.stoppedAtOnce(signal, standing),
    (signal) => out.stopping(signal),
  );
  const onEvent = (e: TimelineEvent): void => {
    if (e.type === 'run.started') {
      standing.runId = e.run_id;
      standing.began = true;
    }
    out.onEvent(e);
  };
  try {
    const result = await launch({ env: runEnvFrom(io.env), signal: interrupt.signal, onEvent, onRun: (id, dir, began) => Object.assign(standing, { runId: id, runDir: dir, began }), onBranchKept: (branch, repo) => (standing.keptBranch = { branch, repo }) });
    // Refused while a signal was stopping it: nothing was made (refusals come before), and
    // what was refused may be what the stop cut short. A failure thrown is still a failure.
    if (result.kind === 'rejected' && interrupt.signal.aborted) return { code: out.rejected(interruptedBefore(interrupt.signal), EXIT.interrupted), outcome: null };
    if (result.kind === 'rejected') return { code: out.rejected(result.diagnostics, result.exitCode), outcome: null };
    return { code: out.finished(result), outcome: result };
  } catch (error) {
    // main says where the run stands after the failure's own words.
    throw new RunCommandFailure(error, { ...standing });
  } finally {
    interrupt.dispose();
  }
}

/** The one line said for a run-driving command a signal stopped before a run was made or driven. Pure. */
function interruptedBefore(signal: AbortSignal): Diagnostic[] {
  const name = typeof signal.reason === 'string' ? signal.reason : 'a signal';
  return [{ code: 'E_INTERRUPTED', severity: 'error', message: `interrupted by ${name} before the run began: nothing was made or changed`, file: 'engine', line: 0, col: 0 }];
}
