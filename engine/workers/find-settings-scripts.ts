import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The scripts a claude settings file makes the user's next session run, by path: the status
 * line runs its command every few hundred milliseconds, a hook at its event, a helper for a
 * key or header. A hostile worker that rewrites `~/.claude/statusline.sh` leaves the settings
 * as they were, and `~/.claude/hooks/` holds only the hook scripts kept there by convention.
 * So each command the settings give is read for the absolute paths it names (`/…`, `~/…`,
 * `$HOME/…`, `${HOME}/…`, quoted or not), and each that is a file is watched like the
 * settings themselves. A relative path (the project's own) and a program found on PATH are
 * not; a change to the settings that names a new script is a change to the settings.
 */

/** Keys whose value is a command line a session runs. */
const HELPERS = ['apiKeyHelper', 'awsAuthRefresh', 'awsCredentialExport', 'otelHeadersHelper'] as const;
/** Keys whose value is `{ type: 'command', command }`. */
const LINES = ['statusLine', 'subagentStatusLine'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The command lines a parsed settings file runs (status lines, hooks, helpers). Pure. */
export function settingsCommands(settings: unknown): string[] {
  if (!isObject(settings)) return [];
  const out: string[] = [];
  for (const key of HELPERS) if (typeof settings[key] === 'string') out.push(settings[key]);
  for (const key of LINES) {
    const line = settings[key];
    if (isObject(line) && typeof line.command === 'string') out.push(line.command);
  }
  const hooks = settings.hooks;
  if (isObject(hooks)) {
    for (const matchers of Object.values(hooks)) {
      if (!Array.isArray(matchers)) continue;
      for (const m of matchers) {
        if (!isObject(m) || !Array.isArray(m.hooks)) continue;
        for (const h of m.hooks) if (isObject(h) && typeof h.command === 'string') out.push(h.command);
      }
    }
  }
  return out;
}

/** The absolute paths a command line names, `~` and `$HOME` taken as `home`. Pure. */
export function pathsInCommand(command: string, home: string): string[] {
  const out: string[] = [];
  for (const raw of command.split(/[\s;|&()<>`]+/)) {
    const word = raw.replace(/^['"]+|['"]+$/g, '');
    const m = /^(~|\$HOME|\$\{HOME\})(\/.*)$/.exec(word);
    const file = m ? home + m[2] : word.startsWith('/') ? word : null;
    if (file && !file.includes('\0')) out.push(path.normalize(file));
  }
  return out;
}

/**
 * The files the settings files named run (each settings file read when it is there and is
 * JSON; anything else names nothing), in the order found, each once. Impure (reads the
 * settings, stats the paths).
 */
export function findSettingsScripts(settingsFiles: readonly string[], home: string): string[] {
  const found = new Set<string>();
  for (const file of settingsFiles) {
    let settings: unknown;
    try {
      settings = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    for (const command of settingsCommands(settings)) {
      for (const p of pathsInCommand(command, home)) if (statSync(p, { throwIfNoEntry: false })?.isFile()) found.add(p);
    }
  }
  return [...found];
}
