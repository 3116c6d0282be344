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
