/**
 * The promises of others the engine is waiting on: a worker plugin's module as it loads, its
 * hooks (detectVersion, resolveBin, prepare, invoke). A promise nobody settles leaves Node's
 * event loop with nothing to wait on, and Node then ends the process with exit 0, as if the
 * command had succeeded: a hostile probe's plugin made `engine run` and `engine doctor` exit 0
 * silently, the run left `running`. The CLI asks this list when that happens (cli/main.ts).
 */
const pending = new Map<number, string>();
let next = 0;
/** The plugin functions running now (innermost last): a `process.exit` from one of them is the plugin's. */
const running: string[] = [];

/** `promise`, noted as awaited under `what` until it settles. Impure (module state). */
export function notePending<T>(what: string, promise: Promise<T>): Promise<T> {
  const id = next++;
  pending.set(id, what);
  const done = (): void => void pending.delete(id);
  promise.then(done, done);
  return promise;
}

/** What is awaited now, in the order it began. */
export function pendingAwaits(): string[] {
  return [...pending.values()];
}

/** `fn()`, noted as running under `what` while it runs (synchronously). Impure (module state). */
export function noteRunning<T>(what: string, fn: () => T): T {
  running.push(what);
  try {
    return fn();
  } finally {
    running.pop();
  }
}

/** Whose code may have ended the process now: the plugin function running, else every awaited promise of others. */
export function othersAtWork(): string[] {
  return running.length ? [running.at(-1)!] : pendingAwaits();
}
