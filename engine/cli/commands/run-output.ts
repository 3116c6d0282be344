import type { TimelineEvent } from '../../generated/event.js';
import type { Diagnostic } from '../../config/diagnostics.js';
import { formatDiagnostic } from '../../config/diagnostics.js';
import { engineVersion, schemaVersion } from '../../version.js';
import type { CliIo } from '../io.js';
import { createProgress } from '../progress.js';
import type { RunOutcome } from '../../runtime/finish-run.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * What `run` and `resume` print: with --json every timeline event as one line on stdout as
 * it is appended (and one `run.rejected` for a refused run); otherwise progress on stderr and
 * the summary on stdout. Impure (writes io).
 */
export function createRunOutput(io: CliIo, json: boolean, noProgress: boolean) {
  const progress = json || noProgress ? null : createProgress(io, io.isTTY);
  return {
    onEvent(e: TimelineEvent): void {
      if (json) io.stdout(JSON.stringify(e) + '\n');
      else progress?.onEvent(e);
    },
    rejected(diagnostics: Diagnostic[], exitCode: number): number {
      progress?.stop();
      if (json) {
        io.stdout(JSON.stringify({ type: 'run.rejected', schema_version: schemaVersion, engine_version: engineVersion, exit_code: exitCode, diagnostics }) + '\n');
      } else {
        for (const d of diagnostics) io.stderr(formatDiagnostic(d) + '\n');
      }
      return exitCode;
    },
    finished(outcome: RunOutcome): number {
      progress?.stop();
      if (!json) {
        io.stdout(readFileSync(path.join(outcome.runDir, 'summary.md'), 'utf8'));
        io.stdout(`\nrun directory: ${outcome.runDir}\n`);
      }
      return outcome.exitCode;
    },
  };
}

/**
 * An AbortSignal that fires on SIGINT/SIGTERM so the run stops `interrupted` (resumable)
 * after the current child is ended. Impure (process signal handlers).
 */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
