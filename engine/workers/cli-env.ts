/**
 * Small helpers shared by the CLI adapters. Pure.
 */

/** Linux caps one argv string at 128 KiB: longer prompts go on stdin. */
export const MAX_PROMPT_ARG_BYTES = 100 * 1024;

/** [args carrying the prompt, stdin mode]: the prompt as an argument, or on stdin past the limit. */
export function promptArgOrStdin(prompt: string, asArg: (p: string) => string[], viaStdin: string[]): [string[], 'closed' | 'prompt'] {
  return Buffer.byteLength(prompt) <= MAX_PROMPT_ARG_BYTES ? [asArg(prompt), 'closed'] : [viaStdin, 'prompt'];
}

/** The origin of a model endpoint (`http://127.0.0.1:8787/` → `http://127.0.0.1:8787`). */
export function endpointOrigin(endpoint: string): string {
  try {
    return new URL(endpoint).origin;
  } catch {
    return endpoint.replace(/\/+$/, '');
  }
}

/**
 * A CLI's home or config dir named by an environment variable (CODEX_HOME,
 * CLAUDE_CONFIG_DIR), or undefined when unset. A relative one is refused: the CLI reads it
 * against its own folder, the run's workspace, while the engine would watch and grant a place
 * by its own folder (the user's ~/.codex when it ran from home). Pure; throws.
 */
export function absoluteDirVar(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name];
  if (!value) return undefined;
  if (!value.startsWith('/')) throw new Error(`${name} is a relative path (${value}): the CLI reads it against its own folder, the run's workspace, where what it writes would be part of the change; name an absolute path`);
  return value;
}
