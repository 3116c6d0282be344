/**
 * How the user can start the engine again, for the commands its messages tell them to run
 * (`engine resume …`, `engine doctor --live`): `engine` where that name on their PATH is this
 * engine, `npx engine` in a project that installed it, else a path to it. A local install's
 * hint of `engine resume` was a "command not found" in the user's shell.
 *
 * Two forms, since `npx engine` works only inside that project (elsewhere npm takes `engine`
 * for a package of the registry of that name, another program): `here`, for what is said now
 * to the user's shell in its working directory; `anywhere`, for what is written into a run's
 * records (summary.md, memo.md, its events), read later from anywhere.
 *
 * The CLI decides them once, when a message first needs them (cli/invocation.ts); until then,
 * and in a process that is no CLI (a test, a plugin's host), both are `engine`.
 */
export interface EngineWords {
  here: string;
  anywhere: string;
}

const PLAIN: EngineWords = { here: 'engine', anywhere: 'engine' };
let decide: () => EngineWords = () => PLAIN;
let words: EngineWords | null = null;
/** False in a command that writes no run records (sayAllHere). */
let recording = true;

/** `rest` as a command line the user can run now, where they stand: `engine rest`, `npx engine rest` or `<bin> rest`. */
export function engineCommand(rest: string): string {
  words ??= decide();
  return join(words.here, rest);
}

/** `rest` as a command line that runs from any directory, for a run's records: `engine rest` or `<bin> rest`. */
export function engineCommandAnywhere(rest: string): string {
  words ??= decide();
  return join(recording ? words.anywhere : words.here, rest);
}

/**
 * For a command that writes no run's records (`engine doctor`): the doctor's findings, which
 * a run's preflight records, are read here only, where the user stands, and say
 * `npx engine` there rather than the project's bin. Impure (for the rest of the process).
 */
export function sayAllHere(): void {
  recording = false;
}

/**
 * Set by the CLI at its start (cli/invocation.ts): how to find the words that start this
 * engine, asked once, when a message first needs them (most commands print none: they cost
 * nothing then).
 */
export function useEngineCommand(decider: () => EngineWords): void {
  decide = decider;
  words = null;
  recording = true;
}

function join(prefix: string, rest: string): string {
  return rest === '' ? prefix : `${prefix} ${rest}`;
}
