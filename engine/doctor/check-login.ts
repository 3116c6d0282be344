/**
 * Whether the `codex` and `claude` workers can call their model, told offline: the CLI's own
 * credential file or an API key in the environment. A worker with a `model_endpoint` (or a
 * run with `--scenario`) talks to that endpoint with a dummy key and needs no login. One
 * finding per CLI (`login.<cli>`): `engine doctor` warns, `engine run` stops before its first
 * worker call. Gathering is impure (file checks); judging is pure.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkerSpec } from '../generated/pipeline.js';
import { finding, type Finding } from './types.js';

type Cli = 'codex' | 'claude';

/** Where each CLI keeps its login, and the environment keys it accepts instead. */
const LOGIN: Readonly<Record<Cli, { homeVar: string; homeDir: string; file: string; keys: string[]; login: string }>> = {
  codex: { homeVar: 'CODEX_HOME', homeDir: '.codex', file: 'auth.json', keys: ['OPENAI_API_KEY'], login: 'codex login' },
  claude: { homeVar: 'CLAUDE_CONFIG_DIR', homeDir: '.claude', file: '.credentials.json', keys: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN'], login: 'claude (then /login)' },
};

export interface LoginFacts {
  cli: Cli;
  /** The workers that use this CLI with the user's login (no endpoint). */
  workers: string[];
  /** The credential file looked at, or null when every worker uses a private home. */
  credentialFile: string | null;
  credentialFound: boolean;
  /** Environment keys set (in the engine's environment or a worker's `env`). */
  keys: string[];
  platform: NodeJS.Platform;
}

/**
 * The login facts of each CLI some worker needs a login for, in order codex, claude. `scripted`:
 * a run against the scripted model (every claude/codex worker gets an endpoint). Impure.
 */
export function gatherLoginFacts(workers: Record<string, WorkerSpec>, env: NodeJS.ProcessEnv, o: { scripted?: boolean; platform?: NodeJS.Platform } = {}): LoginFacts[] {
  if (o.scripted) return [];
  const out: LoginFacts[] = [];
  for (const cli of ['codex', 'claude'] as const) {
    const specs = Object.entries(workers).filter(([, s]) => s.use === cli && !s.model_endpoint).sort(([a], [b]) => a.localeCompare(b));
    if (!specs.length) continue;
    const l = LOGIN[cli];
    // A private home (isolate_home) holds no login: only a key in the environment works there.
    const sharedHome = specs.some(([, s]) => !s.isolate_home);
    const home = env[l.homeVar] || path.join(env.HOME || os.homedir(), l.homeDir);
    const credentialFile = sharedHome ? path.join(home, l.file) : null;
    const keys = l.keys.filter((k) => env[k] || specs.some(([, s]) => s.env?.[k]));
    out.push({ cli, workers: specs.map(([n]) => n), credentialFile, credentialFound: credentialFile !== null && existsSync(credentialFile), keys, platform: o.platform ?? process.platform });
  }
  return out;
}

/** `login.<cli>`: ok with where the login is, else `missing` (warn for the doctor, block for a run). Pure. */
export function judgeLogin(f: LoginFacts, missing: 'warn' | 'block'): Finding {
  const id = `login.${f.cli}`;
  const who = `${f.cli} (worker${f.workers.length === 1 ? '' : 's'} ${f.workers.join(', ')})`;
  if (f.keys.length) return finding(id, 'ok', `${who}: ${f.keys.join(', ')} set`);
  if (f.credentialFound) return finding(id, 'ok', `${who}: logged in (${f.credentialFile})`);
  const l = LOGIN[f.cli];
  // claude on macOS keeps its login in the Keychain, which cannot be read offline: never block on it.
  if (f.cli === 'claude' && f.platform === 'darwin' && f.credentialFile) {
    return finding(id, 'warn', `${who}: no ${l.keys.join(' or ')} and no ${f.credentialFile}; the login may be in the macOS Keychain`, `if a run fails with "Not logged in", run \`${l.login}\` or set ${l.keys[0]}`);
  }
  const looked = f.credentialFile ? `no ${f.credentialFile}` : 'a private home (isolate_home) holds no login';
  return finding(
    id,
    missing,
    `${who}: not logged in: ${looked} and no ${l.keys.join(' or ')} in the environment`,
    `run \`${l.login}\`, or set ${l.keys[0]}, or give the worker a model_endpoint; \`engine run --scenario FILE\` needs no login`,
  );
}
