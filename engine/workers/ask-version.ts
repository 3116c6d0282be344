import type { Env, WorkerPlugin } from './types.js';

/**
 * A worker's CLI version as its plugin tells it: a string, else null. A plugin's hook that
 * throws (even before it returns a promise), rejects or answers something else is no version:
 * a plugin's `detectVersion` that threw at once, or answered an object, ended the engine with
 * exit 70. Impure (the plugin may start a process).
 */
export async function askVersion(plugin: Pick<WorkerPlugin, 'detectVersion'>, bin: string, env: Env): Promise<string | null> {
  try {
    const version: unknown = await plugin.detectVersion({ bin, env });
    return typeof version === 'string' ? version : null;
  } catch {
    return null;
  }
}
