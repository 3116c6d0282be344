import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

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

/**
 * How long a plugin's promise may take to settle (ENGINE_PLUGIN_SETTLE_S, seconds; default 120).
 * One that never settles while the plugin holds a handle open (an interval, a server) kept
 * Node's loop alive, so the stall was never seen: validate, doctor and run hung for good.
 */
export function pluginSettleMs(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env.ENGINE_PLUGIN_SETTLE_S);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 120_000;
}

/** A plugin's promise that did not settle within pluginSettleMs. */
export class PluginStallError extends Error {
  override name = 'PluginStallError';
}

/**
 * `promise`, noted as awaited under `what` until it settles; rejected with PluginStallError
 * once `limitMs` have passed without it settling (the timer holds nothing open). Impure (module state).
 */
export function notePending<T>(what: string, promise: Promise<T>, limitMs: number = pluginSettleMs()): Promise<T> {
  const id = next++;
  pending.set(id, what);
  let timer: NodeJS.Timeout | undefined;
  const done = (): void => {
    pending.delete(id);
    if (timer) clearTimeout(timer);
  };
  promise.then(done, done);
  const overdue = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      pending.delete(id);
      reject(new PluginStallError(`${what}: its promise did not settle in ${limitMs / 1000} s (ENGINE_PLUGIN_SETTLE_S gives it longer)`));
    }, limitMs).unref();
  });
  return Promise.race([promise, overdue]);
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

/** The worker plugin modules this process has imported: their files as first given, by real path. */
const loaded = new Map<string, string>();
/** Every name those files were imported by, given and real: a stack may name either. */
const names = new Set<string>();

/** Notes a plugin module as imported into this process (before its import begins). Impure (module state). */
export function noteLoaded(file: string): void {
  let real = file;
  try {
    real = realpathSync(file);
  } catch {
    /* gone or unreadable: its import will say so */
  }
  names.add(file).add(real);
  if (!loaded.has(real)) loaded.set(real, file);
}

/** The plugin module files imported into this process so far, each once (as first given): a plugin reached through a link was listed twice. */
export function loadedPlugins(): string[] {
  return [...loaded.values()];
}

/**
 * The plugin file a stack names first, by path or file URL; null when it names none. A plugin's
 * `process.exit` from a timer, or an error it threw where no code of the engine's runs, is told
 * from the engine's own by its stack. Pure but for the module state it reads.
 */
export function pluginInStack(stack: string): string | null {
  for (const file of names) {
    if (stack.includes(`${file}:`) || stack.includes(`${pathToFileURL(file).href}:`)) return file;
  }
  return null;
}
