/**
 * Secret redaction for everything a call writes to disk. The secrets are the VALUES of
 * environment variables whose NAMES match the policy's globs (`*_KEY`, `*_TOKEN`, …), taken
 * from the engine's environment and the worker's. Streaming-safe: a value split across two
 * chunks is still found, because the tail that could start a secret is held back until the
 * next chunk. Pure.
 */
export interface Secret {
  name: string;
  value: Buffer;
}

/** Values shorter than this are not treated as secrets: they would blank out ordinary text. */
export const MIN_SECRET_LENGTH = 6;

export const DEFAULT_REDACT = ['*_KEY', '*_TOKEN', '*SECRET*', '*PASSWORD*'];

/** Case-insensitive glob on a variable name: `*` any run of characters, `?` one. Pure. */
export function matchesNameGlob(name: string, glob: string): boolean {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

export function collectSecrets(globs: readonly string[], envs: readonly (NodeJS.ProcessEnv | Record<string, string> | undefined)[]): Secret[] {
  const byValue = new Map<string, string>();
  for (const env of envs) {
    if (!env) continue;
    for (const [name, value] of Object.entries(env)) {
      if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) continue;
      if (globs.some((g) => matchesNameGlob(name, g)) && !byValue.has(value)) byValue.set(value, name);
    }
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...byValue.entries()]
    .map(([value, name]) => ({ name, value: Buffer.from(value, 'utf8') }))
    .sort((a, b) => b.value.length - a.value.length);
}

export function redactionMark(name: string): string {
  return `[REDACTED:${name}]`;
}

export function redactText(text: string, secrets: readonly Secret[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s.value.toString('utf8')).join(redactionMark(s.name));
  return out;
}

export interface StreamRedactor {
  /** Returns the bytes that are safe to pass on now. */
  push(chunk: Buffer): Buffer;
  /** The stream ended: the held-back tail (it cannot hold a whole secret). */
  flush(): Buffer;
}

export function createStreamRedactor(secrets: readonly Secret[]): StreamRedactor {
  if (secrets.length === 0) return { push: (c) => c, flush: () => Buffer.alloc(0) };
  const hold = Math.max(...secrets.map((s) => s.value.length)) - 1;
  const marks = secrets.map((s) => Buffer.from(redactionMark(s.name)));
  let pending: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      const data = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      const parts: Buffer[] = [];
      let from = 0;
      for (;;) {
        let best = -1;
        let which = -1;
        for (let i = 0; i < secrets.length; i++) {
          const at = data.indexOf(secrets[i]!.value, from);
          if (at !== -1 && (best === -1 || at < best)) {
            best = at;
            which = i;
          }
        }
        if (best === -1) break;
        // A longer secret may start here and go on in the next chunk: wait for it.
        const tail = data.length - best;
        if (secrets.some((x) => x.value.length > tail && data.compare(x.value, 0, tail, best, data.length) === 0)) {
          parts.push(data.subarray(from, best));
          pending = Buffer.from(data.subarray(best));
          return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
        }
        parts.push(data.subarray(from, best), marks[which]!);
        from = best + secrets[which]!.value.length;
      }
      // Hold back only a tail that could be the start of a secret, so a line is never delayed
      // for nothing (the runner watches for the terminal event as lines arrive).
      const keepFrom = Math.max(from, data.length - partialSecretTail(data, from, secrets, hold));
      parts.push(data.subarray(from, keepFrom));
      pending = Buffer.from(data.subarray(keepFrom));
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    },
    flush() {
      const rest = pending;
      pending = Buffer.alloc(0);
      return rest;
    },
  };
}

/** Length of the longest suffix of data[from..] that is a proper prefix of some secret. */
function partialSecretTail(data: Buffer, from: number, secrets: readonly Secret[], hold: number): number {
  const avail = Math.min(hold, data.length - from);
  for (let k = avail; k > 0; k--) {
    const start = data.length - k;
    for (const s of secrets) {
      if (s.value.length > k && data.compare(s.value, 0, k, start, data.length) === 0) return k;
    }
  }
  return 0;
}
