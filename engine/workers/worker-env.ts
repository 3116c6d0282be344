/**
 * Least-privilege environments. A worker process gets an allow-list of the engine's
 * environment (the base names below, what its plugin declares, the worker's `env_pass`), so a
 * CLI never sees another provider's key or the user's unrelated tokens — and so cannot write
 * them into its home (codex's shell snapshot did). Verification, set-up and command steps get
 * the user's environment less the worker provider keys and the secret-named variables, unless
 * the policy passes them. Pure.
 */
import { compareText } from '../util/compare-text.js';
import { matchesGlob } from '../util/name-glob.js';
import { isSecretVariable, matchesNameGlob } from './redact.js';
import type { WorkerSpec } from '../generated/pipeline.js';

/** Whether a worker with this spec keeps its CLI's state in a private home of its own (a model endpoint gives it one, as `isolate_home` does). Pure. */
export function hasPrivateHome(spec: Pick<WorkerSpec, 'model_endpoint' | 'isolate_home'>): boolean {
  return Boolean(spec.model_endpoint || spec.isolate_home);
}

/**
 * What every worker gets, when the engine has it: finding programs, locale and terminal,
 * the temp dir, who the user is. HOME is added apart (the private home when isolated).
 */
export const BASE_WORKER_ENV: readonly string[] = ['PATH', 'LANG', 'LANGUAGE', 'LC_*', 'TERM', 'COLORTERM', 'NO_COLOR', 'FORCE_COLOR', 'TZ', 'TMPDIR', 'USER', 'LOGNAME', 'SHELL'];

/**
 * How a CLI that talks to a model API over the network reaches it: proxies and extra CA
 * certificates. Declared by the codex and claude plugins (a command worker asks with env_pass).
 */
export const NETWORK_ENV: readonly string[] = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'NODE_EXTRA_CA_CERTS'];

/**
 * Variables that belong to the worker CLIs and their providers: kept from verification and
 * command steps unless `verification.env_pass` names them (a test suite has no business with
 * the model's key, and a planted test could print it).
 */
export const WORKER_PROVIDER_ENV: readonly string[] = [
  'OPENAI_*',
  'AZURE_OPENAI_*',
  'ANTHROPIC_*',
  'CODEX_*',
  'CLAUDE_*',
  'CLAUDECODE',
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  'MISTRAL_API_KEY',
  'GROQ_API_KEY',
  'OPENROUTER_API_KEY',
  'DEEPSEEK_API_KEY',
  'XAI_API_KEY',
];

export interface WorkerEnvInput {
  /** The engine's own environment. */
  engineEnv: NodeJS.ProcessEnv;
  /** Names or globs the worker's plugin declares (`WorkerPlugin.envPass`). */
  pluginPass?: readonly string[];
  /** Names or globs the pipeline adds (`workers.<name>.env_pass`). */
  specPass?: readonly string[];
  /** HOME for the process: the private home when the worker is isolated, else the user's. */
  home?: string | null;
}

/**
 * The allow-listed part of the engine's environment a worker starts from: base names, the
 * plugin's and the pipeline's names, HOME. The worker's own `env:` map and what its plugin
 * sets (private home dirs, a dummy key) are added by the plugin on top. Pure.
 */
export function buildWorkerEnv(input: WorkerEnvInput): NodeJS.ProcessEnv {
  const allow = [...BASE_WORKER_ENV, ...(input.pluginPass ?? []), ...(input.specPass ?? [])];
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(input.engineEnv)) {
    if (value === undefined) continue;
    if (allow.some((g) => nameMatches(name, g))) env[name] = value;
  }
  const home = input.home ?? input.engineEnv.HOME;
  if (home !== undefined) env.HOME = home;
  return env;
}

/**
 * The environment of verification, set-up and command-step commands: the user's, less the
 * worker provider variables and less every variable that holds a secret (isSecretVariable:
 * its name matches `secretNames`, the policy's `transcripts.redact` — `*_KEY`, `*_TOKEN`,
 * `*SECRET*`, `*PASSWORD*` — or the built-in credential names, in any case; or its value is
 * or holds a credential: a key-shaped token, a URL with a password), except those `pass`
 * (`verification.env_pass`) names. These commands run code a worker may have written (a test
 * it planted), in a workspace the worker reads again at its next call and with the network
 * open: a secret they were given could be copied onto the run branch, into the next prompt
 * or out. Pure.
 */
export function buildCommandEnv(engineEnv: NodeJS.ProcessEnv, pass: readonly string[] = [], secretNames: readonly string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(engineEnv)) {
    if (value === undefined) continue;
    const withheld = WORKER_PROVIDER_ENV.some((g) => matchesNameGlob(name, g)) || isSecretVariable(name, value, secretNames);
    if (!withheld || pass.some((g) => nameMatches(name, g))) env[name] = value;
  }
  return env;
}

/** The names of `engineEnv` that `env` (built from it) leaves out, sorted. Pure. */
export function withheldNames(engineEnv: NodeJS.ProcessEnv, env: NodeJS.ProcessEnv): string[] {
  return Object.keys(engineEnv)
    .filter((name) => engineEnv[name] !== undefined && !(name in env))
    .sort(compareText);
}

/** Environment names are case-sensitive: `*` any run of characters, `?` one. */
function nameMatches(name: string, pattern: string): boolean {
  if (!/[*?]/.test(pattern)) return name === pattern;
  return matchesGlob(name, pattern, false);
}
