import { closeSync, openSync, statSync } from 'node:fs';
import { takeEarlySignals } from '../../util/early-signals.js';
import path from 'node:path';
import type { Command } from '../command.js';
import { int, str, UsageError } from '../command.js';
import { EXIT } from '../../vocabulary/exit-codes.js';
import { formatDiagnostic } from '../../vocabulary/diagnostics.js';
import { printable } from '../../util/printable.js';

/**
 * `engine stub-model --scenario FILE [--port N] [--log FILE]`: serve a scenario to the real
 * claude and codex CLIs on loopback until SIGINT/SIGTERM. The origin goes to stdout (one
 * line, so scripts can read it); one line per exchange goes to stderr. Stopping it by signal
 * is its normal end: exit 0.
 */
export const stubModelCommand: Command = {
  name: 'stub-model',
  summary: 'Serve a scenario as a scripted model (Anthropic Messages + OpenAI Responses) on loopback',
  usage: 'stub-model --scenario FILE [--port N] [--log FILE]',
  options: { scenario: { type: 'string' }, port: { type: 'string' }, log: { type: 'string' } },
  optionHelp: {
    scenario: 'the scenario file (kind: Scenario) whose replies to serve',
    port: 'port on 127.0.0.1 (default: a free one)',
    log: 'append every exchange to this JSONL file',
  },
  allowPositionals: false,
  async run(args, io) {
    const file = str(args, 'scenario');
    if (!file) throw new UsageError('--scenario FILE is required');
    const port = int(args, 'port');
    if (port !== undefined && (port < 0 || port > 65535)) throw new UsageError(`--port must be 0..65535, got ${port}`);
    const logFile = str(args, 'log');
    const { loadScenario, ScenarioError, startStubModel, describeHeaders } = await import('../../stub/index.js');
    let scenario;
    try {
      scenario = await loadScenario(path.resolve(io.cwd, file));
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      for (const d of error.diagnostics) io.stderr(printable(`${formatDiagnostic(d)}\n`));
      return EXIT.invalid;
    }
    if (logFile) checkLogFile(path.resolve(io.cwd, logFile), logFile);
    let stub;
    try {
      stub = await startStubModel({
        scenario,
        scenarioFile: file,
        ...(port !== undefined ? { port } : {}),
        ...(logFile ? { logFile: path.resolve(io.cwd, logFile), onLogError: (error: Error) => io.stderr(printable(`engine stub-model: --log ${logFile}: cannot append the exchanges (${error.message}); they are no longer logged, the model goes on serving\n`)) } : {}),
        log: (e) => io.stderr(`${e.seq} ${e.method} ${e.path} ${e.status} ${e.route.kind}${e.headers ? ` (${describeHeaders(e.headers)}, turn ${(e.turnIndex ?? 0) + 1})` : ''}\n`),
      });
    } catch (error) {
      // The port is the user's to choose: taken or not allowed is bad input, not a bug.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new UsageError(`--port ${port} is in use on 127.0.0.1; give another, or leave --port out for a free one`);
      if (code === 'EACCES') throw new UsageError(`--port ${port} needs privileges this process lacks; give one above 1023`);
      throw error;
    }
    io.stdout(`${stub.origin}\n`);
    io.stderr(printable(`engine stub-model: serving ${file} (${scenario.name}) on ${stub.origin}; stop with Ctrl-C\n`));
    await waitForSignal();
    await stub.close();
    return EXIT.ok;
  },
};

/**
 * Refuses a --log the exchanges could not be appended to, before anything is served: a
 * directory, or a file that cannot be opened for appending (created empty if it was not
 * there, as the first exchange would). Impure (opens the file).
 */
function checkLogFile(file: string, given: string): void {
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--log ${given} is a directory; name a file to append the requests to`);
  try {
    closeSync(openSync(file, 'a'));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new UsageError(`--log ${given} cannot be written (${e.code ?? 'error'}: ${e.message}); name a file in a directory you can write`);
  }
}

/** Resolves on the first SIGINT or SIGTERM. Impure: process signal handlers. */
function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    takeEarlySignals();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
