import { matchesGlob } from '../util/name-glob.js';
import { maxOf } from '../util/many.js';

/**
 * Secret redaction for everything a call writes to disk. The secrets are the VALUES of
 * environment variables whose NAMES match the policy's globs (`*_KEY`, `*_TOKEN`, …) or whose
 * values look like keys (`sk-…`, `ghp_…`, `AKIA…`), taken from the engine's environment and
 * the worker's; on top, any credential-shaped token in the text is masked (KEY_SHAPES). Streaming-safe: a value split across two
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

/**
 * Names that hold credentials whatever the policy's `transcripts.redact` says (it may narrow
 * the defaults above): key ids, access keys, personal access tokens, auth strings, credential
 * files and lists, DSNs (a key in their user part), webhook URLs (the URL is the secret),
 * private keys, cookies. Matched in any case, like the policy's. A hostile probe's planted
 * test read `AWS_ACCESS_KEY_ID`, `GITHUB_PAT`, `NPM_CONFIG__AUTH` and `SLACK_WEBHOOK_URL` from
 * a verification command's environment when only the four defaults were withheld.
 */
export const CREDENTIAL_NAMES: readonly string[] = [
  '*_KEY_ID', '*ACCESS_KEY*', '*_PAT', '*_AUTH', '*_AUTH_*', '*CREDENTIAL*', '*PASSWD*', '*_DSN', '*WEBHOOK*', '*PRIVATE_KEY*', '*COOKIE*',
  // A second probe's dump: passwords and passphrases by other names (MYSQL_PWD, SSHPASS,
  // DB_PASS, BORG_PASSPHRASE; never PWD or OLDPWD, the shell's directories), keys and tokens
  // without the underscore (APIKEY, NGROK_AUTHTOKEN, TOKEN), password managers' unlocked
  // sessions (Bitwarden's BW_SESSION, 1Password's OP_SESSION_<account>), connection strings.
  '*_PWD', '*_PASS', 'SSHPASS', '*PASSPHRASE*', '*APIKEY*', '*AUTHTOKEN*', 'TOKEN', 'BW_SESSION', 'OP_SESSION_*', '*CONNECTION_STRING*',
  // A third probe's: a CI job's token as a JWT (GitLab's CI_JOB_JWT; its value too short for
  // the JWT shape), and a private key by a shorter name.
  '*JWT*', '*PRIVKEY*',
];

/**
 * Whether an environment variable holds a secret: its name matches one of `globs` (the policy's
 * `transcripts.redact`) or CREDENTIAL_NAMES, in any case; or its value has a credential's
 * shape (looksLikeKey), holds one (a key-shaped token inside it, a URL with a password in it,
 * a private key). Pure.
 */
export function isSecretVariable(name: string, value: string, globs: readonly string[]): boolean {
  return globs.some((g) => matchesNameGlob(name, g)) || CREDENTIAL_NAMES.some((g) => matchesNameGlob(name, g)) || holdsCredential(value);
}

/** `scheme://user:password@`: a password in a URL's user part (a database URL, a proxy). */
const URL_PASSWORD = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@:]*:[^\s/?#@]+@/;
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
/** A connection string's key or password (Azure's `AccountKey=`, `SharedAccessKey=`, ADO's `Password=`). */
const CONNECTION_SECRET = /(?:^|;)\s*(?:AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd)\s*=\s*[^;\s]/i;

/** Whether a value is, or holds, a credential: a key-shaped token anywhere in it, a URL's password, a private key block. Pure. */
export function holdsCredential(value: string): boolean {
  if (URL_PASSWORD.test(value) || PRIVATE_KEY_BLOCK.test(value) || CONNECTION_SECRET.test(value)) return true;
  if (!mayHoldKey(value)) return false;
  SHAPES_RE.lastIndex = 0;
  return SHAPES_RE.test(value);
}

/** Case-insensitive glob on a variable name: `*` any run of characters, `?` one. Pure. */
export function matchesNameGlob(name: string, glob: string): boolean {
  return matchesGlob(name, glob, true);
}

export function collectSecrets(globs: readonly string[], envs: readonly (NodeJS.ProcessEnv | Record<string, string> | undefined)[]): Secret[] {
  const byValue = new Map<string, string>();
  for (const env of envs) {
    if (!env) continue;
    for (const [name, value] of Object.entries(env)) {
      if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) continue;
      // A value that is or holds a credential is a secret whatever its variable is called.
      if (isSecretVariable(name, value, globs) && !byValue.has(value)) byValue.set(value, name);
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

/** Text with every secret, and every credential-shaped token, replaced by its mark. Pure. */
export function redactText(text: string, secrets: readonly Secret[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s.value.toString('utf8')).join(redactionMark(s.name));
  return maskKeyShapes(out);
}

/**
 * redactText for bytes read as latin1 (one character a byte): each secret's bytes as they
 * stand are replaced (a value with bytes outside ASCII is not its UTF-8 text there), then
 * redactText. Pure.
 */
export function redactLatin1(text: string, secrets: readonly Secret[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s.value.toString('latin1')).join(redactionMark(s.name));
  return redactText(out, secrets);
}

export interface StreamRedactor {
  /** Returns the bytes that are safe to pass on now. */
  push(chunk: Buffer): Buffer;
  /** The stream ended: the held-back tail (it cannot hold a whole secret). */
  flush(): Buffer;
}

/** The streaming form of redactText: exact values first, then key shapes. */
export function createStreamRedactor(secrets: readonly Secret[]): StreamRedactor {
  const exact = createExactRedactor(secrets);
  const shapes = createShapeMasker();
  return {
    push: (chunk) => shapes.push(exact.push(chunk)),
    flush: () => Buffer.concat([shapes.push(exact.flush()), shapes.flush()]),
  };
}

function createExactRedactor(secrets: readonly Secret[]): StreamRedactor {
  if (secrets.length === 0) return { push: (c) => c, flush: () => Buffer.alloc(0) };
  const hold = maxOf(secrets.map((s) => s.value.length)) - 1;
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

/**
 * Values that look like credentials whatever variable (or file, or output) they came from:
 * provider keys and tokens with a recognisable prefix. Each needs its prefix at a token
 * boundary and enough key-like characters after it, so ordinary words, paths and hex hashes
 * (git shas) do not match. Kept as one alternation so a stream is scanned once.
 */
const KEY_SHAPES: readonly { kind: string; source: string }[] = [
  // OpenAI and Anthropic (sk-…, sk-proj-…, sk-ant-…): letters and digits both present.
  { kind: 'sk-key', source: String.raw`(?<![A-Za-z0-9_-])sk-(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{20,}` },
  { kind: 'stripe-key', source: String.raw`(?<![A-Za-z0-9_-])[rs]k_(?:live|test)_[A-Za-z0-9]{16,}` },
  { kind: 'github-token', source: String.raw`(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})` },
  { kind: 'gitlab-token', source: String.raw`(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,}` },
  { kind: 'npm-token', source: String.raw`(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36,}` },
  { kind: 'slack-token', source: String.raw`(?<![A-Za-z0-9_-])xox[abeoprs]-(?=[A-Za-z0-9-]*[0-9])[A-Za-z0-9-]{10,}` },
  { kind: 'aws-access-key-id', source: String.raw`(?<![A-Za-z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}(?![A-Za-z0-9])` },
  { kind: 'google-api-key', source: String.raw`(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}` },
  { kind: 'jwt', source: String.raw`(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}` },
  // The URL is the credential (whoever has it can post); the scheme is left: a stream may be cut after its colon.
  { kind: 'slack-webhook', source: String.raw`(?<![A-Za-z0-9_.-])hooks\.slack\.com/services/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+/[A-Za-z0-9_-]{8,}` },
];
/** `Bearer <token>`: the word is kept, the token (16+ characters with a digit) is masked. */
const BEARER = String.raw`(?<![A-Za-z0-9_])([Bb]earer|BEARER)(\s+)(?=[A-Za-z0-9._~+/-]*[0-9])[A-Za-z0-9._~+/-]{16,}=*`;

const SHAPES_RE = new RegExp([BEARER, ...KEY_SHAPES.map((s) => `(${s.source})`)].join('|'), 'g');

/** True when the whole of `value` has a credential's shape. Pure. */
export function looksLikeKey(value: string): boolean {
  // Most values (PATH, a locale, a directory) hold no prefix: no scan of the whole value.
  if (!mayHoldKey(value)) return false;
  SHAPES_RE.lastIndex = 0;
  const m = SHAPES_RE.exec(value);
  return m !== null && m.index === 0 && m[0].length === value.length;
}

/**
 * Text with every credential-shaped token replaced by `[REDACTED:<kind>]` (a bearer token's
 * `Bearer ` kept). Works on latin1 strings of raw bytes as well as on decoded text: every
 * shape is ASCII. Pure.
 */
export function maskKeyShapes(text: string): string {
  if (!mayHoldKey(text)) return text;
  return text.replace(SHAPES_RE, (...m: unknown[]) => {
    const groups = m.slice(1, 3 + KEY_SHAPES.length) as (string | undefined)[];
    if (groups[0] !== undefined) return `${groups[0]}${groups[1]}${redactionMark('bearer-token')}`;
    const i = groups.slice(2).findIndex((g) => g !== undefined);
    return redactionMark(KEY_SHAPES[i]?.kind ?? 'key');
  });
}

/** A cheap test before the regex: every shape holds one of these. */
const KEY_PREFIXES = ['sk-', 'k_live_', 'k_test_', 'ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_', 'glpat-', 'npm_', 'xox', 'AKIA', 'ASIA', 'AGPA', 'AIDA', 'AROA', 'ANPA', 'ANVA', 'AIPA', 'AIza', 'eyJ', 'earer', 'EARER', 'hooks.slack.com/services/'];
const KEY_PREFIX_BUFFERS = KEY_PREFIXES.map((p) => Buffer.from(p));

function mayHoldKey(text: string): boolean {
  return KEY_PREFIXES.some((p) => text.includes(p));
}

/** Bytes that can be part of a token: a stream is only cut after a byte outside this set. */
const TOKEN_BYTES = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~+/=-') TOKEN_BYTES[c.charCodeAt(0)] = 1;
const MAX_HOLD = 16 * 1024;
const BEARER_BEFORE = /(?<![A-Za-z0-9_])bearer\s*$/i;

/**
 * Streaming form of maskKeyShapes: passes on everything up to the start of the last token
 * (and a `Bearer ` before it), holds that back until the next chunk shows where it ends. A
 * token longer than 16 KiB is passed on as is. A chunk with none of the prefixes is passed on
 * without being decoded. Pure.
 */
export function createShapeMasker(): StreamRedactor {
  let pending: Buffer = Buffer.alloc(0);
  const mask = (data: Buffer): Buffer => (KEY_PREFIX_BUFFERS.some((p) => data.includes(p)) ? Buffer.from(maskKeyShapes(data.toString('latin1')), 'latin1') : data);
  return {
    push(chunk) {
      const data = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let cut = data.length;
      while (cut > 0 && TOKEN_BYTES[data[cut - 1]!]) cut--;
      const before = BEARER_BEFORE.exec(data.subarray(Math.max(0, cut - 64), cut).toString('latin1'));
      if (before) cut -= before[0].length;
      if (data.length - cut > MAX_HOLD) cut = data.length;
      pending = Buffer.from(data.subarray(cut));
      return mask(data.subarray(0, cut));
    },
    flush() {
      const rest = pending;
      pending = Buffer.alloc(0);
      return mask(rest);
    },
  };
}
