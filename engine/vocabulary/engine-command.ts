/**
 * How the user can start the engine again, for the commands its messages tell them to run
 * (`engine resume …`, `engine doctor --live`): `engine` where that name on their PATH is this
 * engine, `npx engine` in a project that installed it, else the path of its launcher. A
 * local install's hint of `engine resume` was a "command not found" in the user's shell.
 *
 * The CLI decides it once, before a command runs (cli/invocation.ts); until then, and in a
 * process that is no CLI (a test, a plugin's host), it is `engine`.
 */
let decide: () => string = () => 'engine';
let prefix: string | null = null;

/** `rest` as a command line the user can run: `engine rest`, `npx engine rest` or `<bin> rest`. */
export function engineCommand(rest: string): string {
  prefix ??= decide();
  return rest === '' ? prefix : `${prefix} ${rest}`;
}

/**
 * Set by the CLI at its start (cli/invocation.ts): how to find the words that start this
 * engine in the user's shell, asked once, when a message first needs them (most commands
 * print none: they cost nothing then).
 */
export function useEngineCommand(words: () => string): void {
  decide = words;
  prefix = null;
}
