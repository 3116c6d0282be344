/**
 * Takes away the launcher's handlers of SIGINT and SIGTERM (bin/engine.js), which end a
 * command that has none of its own with exit 130 and a word: a command that sets up its own
 * (a run's resumable stop, the stub model's) calls this first, or the launcher's would end the
 * process before its own could stop anything. Nothing to take when the CLI runs without the
 * launcher (in a test's process). Impure (process signal handlers).
 */
export function takeEarlySignals(): void {
  const take = (globalThis as Record<symbol, unknown>)[Symbol.for('engine.takeEarlySignals')];
  if (typeof take === 'function') take();
}
