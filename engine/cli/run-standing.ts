import { shellWord } from '../util/shell-quote.js';

/**
 * Where a run-driving command (`run`, `resume`, `demo`) left its run when it stopped short of
 * the end, by a failure or a second signal: `runId` null before the run's directory was made,
 * `began` once its `run.started` is durable (or for a run `resume` was given).
 */
export interface RunStanding {
  runId: string | null;
  began: boolean;
}

/**
 * A failure that ended a run-driving command, with where its run stands: what main says after
 * the failure's own message depends on it (launchRun throws it; main unwraps it).
 */
export class RunCommandFailure extends Error {
  constructor(
    readonly failure: unknown,
    readonly standing: RunStanding,
  ) {
    super(failure instanceof Error ? failure.message : String(failure), { cause: failure });
    this.name = 'RunCommandFailure';
  }
}

/** The failure itself and, for a run-driving command's, where its run stands. Pure. */
export function unwrapRunFailure(error: unknown): { error: unknown; standing: RunStanding | null } {
  return error instanceof RunCommandFailure ? { error: error.failure, standing: error.standing } : { error, standing: null };
}

/** What is left of a run that stopped short, and the command that goes on from there, in words. Pure. */
export function sayStanding({ runId, began }: RunStanding): string {
  if (began) return `the run is left as a crash leaves it, continue it with: engine resume ${runId === null ? '<run-id>' : shellWord(runId)}`;
  if (runId === null) return 'the run had not begun: nothing of it was made';
  const id = shellWord(runId);
  return `the run ${id} had not begun: nothing of it can be resumed; what was made of it is removed by \`engine resume ${id}\` or a new \`engine run --run-id ${id}\``;
}
