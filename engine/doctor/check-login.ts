/**
 * Whether the workers whose plugin names a login check (`login`: codex, claude) can call
 * their model, told offline: the CLI's own credential file or an API key in the environment.
 * A worker with a `model_endpoint` (or a run with `--scenario`) talks to that endpoint with a
 * dummy key and needs no login. One finding per CLI (`login.<plugin>`): `engine doctor`
 * warns, `engine run` stops before its first worker call. Gathering is impure (file checks);
 * judging is pure.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkerSpec } from '../generated/pipeline.js';
import { builtinWorkers } from '../workers/builtin-workers.js';
import type { LoginCheck } from '../workers/types.js';
import { finding, type Finding } from './types.js';
import { compareText } from '../util/compare-text.js';
import { engineCommandAnywhere } from '../vocabulary/engine-command.js';

export interface LoginFacts {
  /** The plugin's name. */
  cli: string;
  /** Where the CLI keeps its login and the keys it takes instead (the plugin's `login`). */
  check: LoginCheck;
  /** The workers that use this CLI with the user's login (no endpoint). */
  workers: string[];
  /** The credential file looked at, or null when every worker uses a private home. */
  credentialFile: string | null;
  credentialFound: boolean;
  /** Environment keys set (in the engine's environment or a worker's `env`). */
  keys: string[];
  platform: NodeJS.Platform;
  /** The plugin takes a model_endpoint (and so the scripted model) instead of a login. */
  endpoint: boolean;
}

/**
 * The login facts of each built-in CLI some worker needs a login for, in plugin name order.
 * `scripted`: a run against the scripted model (every worker whose plugin takes an endpoint
 * gets one and needs no login). Impure.
 */
export function gatherLoginFacts(workers: Record<string, WorkerSpec>, env: NodeJS.ProcessEnv, o: { scripted?: boolean; platform?: NodeJS.Platform } = {}): LoginFacts[] {
  const out: LoginFacts[] = [];
  for (const plugin of builtinWorkers()) {
    const l = plugin.login;
    // Against the scripted model a plugin that takes an endpoint is given one: no login then.
    if (!l || (o.scripted && plugin.modelEndpoint)) continue;
    const specs = Object.entries(workers).filter(([, s]) => s.use === plugin.name && !(plugin.modelEndpoint && s.model_endpoint)).sort(([a], [b]) => compareText(a, b));
    if (!specs.length) continue;
    // A private home (isolate_home) holds no login: only a key in the environment works there.
    const sharedHome = specs.some(([, s]) => !s.isolate_home);
    const home = env[l.homeVar] || path.join(env.HOME || os.homedir(), l.homeDir);
    const credentialFile = sharedHome ? path.join(home, l.file) : null;
    const keys = l.keys.filter((k) => env[k] || specs.some(([, s]) => s.env?.[k]));
    out.push({ cli: plugin.name, check: l, workers: specs.map(([n]) => n), credentialFile, credentialFound: credentialFile !== null && existsSync(credentialFile), keys, platform: o.platform ?? process.platform, endpoint: Boolean(plugin.modelEndpoint) });
  }
  return out;
}

/** "run `codex login`", "run `claude` and type /login in it": the command as code, what follows as words. Pure. */
function howToLogIn(l: { command: string; then?: string }): string {
  return `run \`${l.command}\`${l.then ? ` and ${l.then}` : ''}`;
}

/** `login.<cli>`: ok with where the login is, else `missing` (warn for the doctor, block for a run). Pure. */
export function judgeLogin(f: LoginFacts, missing: 'warn' | 'block'): Finding {
  const id = `login.${f.cli}`;
  const who = `${f.cli} (worker${f.workers.length === 1 ? '' : 's'} ${f.workers.join(', ')})`;
  if (f.keys.length) return finding(id, 'ok', `${who}: ${f.keys.join(', ')} set`);
  if (f.credentialFound) return finding(id, 'ok', `${who}: logged in (${f.credentialFile})`);
  const l = f.check;
  // Where the login cannot be read offline (claude on macOS: the Keychain), never block on it.
  if (l.unreadable && f.platform === l.unreadable.platform && f.credentialFile) {
    return finding(id, 'warn', `${who}: no ${l.keys.join(' or ')} and no ${f.credentialFile}; the login may be in ${l.unreadable.where}`, `if a run fails with "Not logged in", ${howToLogIn(l)} or set ${l.keys[0]}`);
  }
  const looked = f.credentialFile ? `no ${f.credentialFile}` : 'a private home (isolate_home) holds no login';
  const found = finding(
    id,
    missing,
    `${who}: not logged in: ${looked} and no ${l.keys.join(' or ')} in the environment`,
    f.endpoint ? `${howToLogIn(l)}, or set ${l.keys[0]}, or give the worker a model_endpoint; \`${engineCommandAnywhere('run --scenario FILE')}\` needs no login` : `${howToLogIn(l)}, or set ${l.keys[0]}`,
  );
  // The doctor only warns (a run with a scenario, or the demo, needs no login), but a run
  // without one stops on it: its verdict must not say that nothing blocks a run.
  return missing === 'warn' ? { ...found, effect: `a run would stop doctor_blocked (exit 4) before its first call${f.endpoint ? ', unless it runs a scenario (--scenario, the demo)' : ''}` } : found;
}
