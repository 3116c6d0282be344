/**
 * Whether a SIGHUP (its terminal closed) stopped this process's run: run-output.ts notes it,
 * runCli ends the process by the hang-up itself. A module of its own: the CLI's entry imports
 * it without the run's output and all it brings. Impure (module state).
 */
let hungUp = false;

/** Notes that a SIGHUP stopped the run. */
export function noteHangUp(): void {
  hungUp = true;
}

/** Whether a SIGHUP stopped this process's run. */
export function wasHungUp(): boolean {
  return hungUp;
}
