import path from 'node:path';
import { shellWord } from '../util/shell-quote.js';
import { messageOf } from '../util/message-of.js';
import { engineCommand } from '../vocabulary/engine-command.js';
import { sayRemoveKeptBranch } from '../git/repo.js';

/**
 * Where a run-driving command (`run`, `resume`, `demo`) left its run when it stopped short of
 * the end, by a failure or a second signal: `runId` null before the run's directory was made,
 * `runDir` that directory once made or found (null before; `resume` names its run as it was
 * given until it has found it), `began` once its `run.started` is durable (or for a run
 * `resume` was given).
 */
export interface RunStanding {
  runId: string | null;
  runDir: string | null;
  began: boolean;
  /** A run that had not begun whose branch was kept in its repository (start-run.ts's onBranchKept). */
  keptBranch?: { branch: string; repo: string };
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
    super(messageOf(failure), { cause: failure });
    this.name = 'RunCommandFailure';
  }
}

/** The failure itself and, for a run-driving command's, where its run stands. Pure. */
export function unwrapRunFailure(error: unknown): { error: unknown; standing: RunStanding | null } {
  return error instanceof RunCommandFailure ? { error: error.failure, standing: error.standing } : { error, standing: null };
}

/**
 * What is left of a run that stopped short, and the command that goes on from there, in words.
 * The command names the run's store when it is known: a run id alone is found only from its
 * repository's folder, and only in the store it was given (a demo's run is in a scratch
 * repository). The store, not the run's directory: resume finds a run stopped before its
 * state.json only in a store. Pure.
 */
export function sayStanding({ runId, runDir, began, keptBranch }: RunStanding): string {
  // Only `resume` stands so: its run as it was given, not found yet, and nothing of it changed.
  if (began && runDir === null && runId !== null) return `the run ${shellWord(runId)} was not found yet, nothing of it was changed: the same \`${engineCommand('resume')}\` goes on from there`;
  const resume = runId === null ? '<run-id>' : runDir === null ? shellWord(runId) : `${shellWord(runId)} --store ${shellWord(path.dirname(runDir))}`;
  if (began) return `the run is left as a crash leaves it, continue it with: ${engineCommand(`resume ${resume}`)}`;
  if (runId === null) return 'the run had not begun: nothing of it was made';
  const id = shellWord(runId);
  const rest = `what was made of it is removed by \`${engineCommand(`resume ${resume}`)}\` or a new \`${engineCommand(`run --run-id ${id}`)}\` in the same store`;
  if (!keptBranch) return `the run ${id} had not begun: nothing of it can be resumed; ${rest}`;
  // Neither of those removes a branch the engine had to keep: the user does, having looked.
  const { branch, repo } = keptBranch;
  return `the run ${id} had not begun: nothing of it can be resumed; its branch ${branch} was kept in ${repo} (something checked it out or moved it since it was made, or git could not remove it): ${sayRemoveKeptBranch(repo, branch)}; ${rest} once it is gone`;
}
