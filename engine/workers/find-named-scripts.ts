import { statSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { UserConfigPlace } from './types.js';

/**
 * The scripts a CLI's own config makes the user's next session run, by path. claude: the
 * status line (run every few hundred milliseconds), each hook, the key and header helpers of
 * its settings, and the MCP servers of ~/.claude.json; codex: what config.toml names (notify,
 * MCP servers). A hostile worker that rewrites `~/.claude/statusline.sh` or the script of an
 * MCP server leaves the config as it was. So each command or argument the config gives is
 * read for the absolute paths it names (`/…`, `~/…`, `$HOME/…`, `${HOME}/…`, quoted or not),
 * and each that is a file is watched like the config itself. A relative path (the project's
 * own) and a program found on PATH are not; a change to the config that names a new script
 * is a change to the config.
 */

/** Keys whose value is a command line a session runs. */
const HELPERS = ['apiKeyHelper', 'awsAuthRefresh', 'awsCredentialExport', 'otelHeadersHelper'] as const;
/** Keys whose value is `{ type: 'command', command }`. */
const LINES = ['statusLine', 'subagentStatusLine'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The command lines a parsed claude settings file runs (status lines, hooks, helpers). Pure. */
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

/** The command and arguments of every MCP server a parsed ~/.claude.json starts (the user's and each project's). Pure. */
export function mcpServerWords(claudeJson: unknown): string[] {
  if (!isObject(claudeJson)) return [];
  const out: string[] = [];
  const take = (servers: unknown) => {
    if (!isObject(servers)) return;
    for (const s of Object.values(servers)) {
      if (!isObject(s)) continue;
      if (typeof s.command === 'string') out.push(s.command);
      if (Array.isArray(s.args)) for (const a of s.args) if (typeof a === 'string') out.push(a);
    }
  };
  take(claudeJson.mcpServers);
  if (isObject(claudeJson.projects)) for (const p of Object.values(claudeJson.projects)) if (isObject(p)) take(p.mcpServers);
  return out;
}

/** Every string of a TOML text (basic and literal, single-line), unescaped enough to read a path. Pure. */
export function tomlStrings(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"((?:[^"\\\n]|\\.)*)"|'([^'\n]*)'/g)) out.push(m[1] !== undefined ? m[1].replace(/\\(["\\])/g, '$1') : m[2]!);
  return out;
}

/**
 * The absolute paths a command line names, `~` and `$HOME` taken as `home`: each quoted
 * string whole (a path with spaces), and each unquoted run between the shell's separators and
 * `=` (`--config=/x.sh`, `VAR=/x.sh`). Pure.
 */
export function pathsInCommand(command: string, home: string): string[] {
  const out: string[] = [];
  for (const m0 of command.matchAll(/"([^"]*)"|'([^']*)'|([^\s;|&()<>`=,"']+)/g)) {
    const word = m0[1] ?? m0[2] ?? m0[3]!;
    const m = /^(~|\$HOME|\$\{HOME\})(\/.*)$/.exec(word);
    const file = m ? home + m[2] : word.startsWith('/') ? word : null;
    if (file && !file.includes('\0')) out.push(path.normalize(file));
  }
  return out;
}

/** Names of files an interpreter runs (`node server.js`), executable or not. */
const SCRIPT_NAME = /\.(?:sh|bash|zsh|fish|js|mjs|cjs|ts|mts|py|rb|pl|php|lua|ps1)$/i;

/**
 * The programs and scripts among the paths the commands name, each once, in the order named:
 * files that are executable or named as scripts. Not a data file an argument names (a log a
 * notify script or MCP server writes as it runs: watching it would stop the run on the CLI's
 * own doing). Impure (stats).
 */
export function scriptsNamedBy(commands: readonly string[], home: string): string[] {
  const found = new Set<string>();
  for (const command of commands) {
    for (const p of pathsInCommand(command, home)) {
      const st = statOrNull(p);
      if (st?.isFile() && ((st.mode & 0o111) !== 0 || SCRIPT_NAME.test(p))) found.add(p);
    }
  }
  return [...found];
}

/**
 * What stat says of a path, or null for any path it cannot say it of: not only a missing one
 * (a word under a file, a directory the user cannot enter, a name too long): the user's
 * config is read, never judged, and a path that names nothing is not watched. Impure.
 */
function statOrNull(file: string): Stats | null {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

/**
 * The scripts as watched paths: under the config root a path not already under one of its
 * watched paths, elsewhere a place of its own (the file alone). Pure.
 */
export function scriptPlaces(root: string, watched: readonly string[], scripts: readonly string[]): { inside: string[]; outside: UserConfigPlace[] } {
  const inside: string[] = [];
  const outside: UserConfigPlace[] = [];
  for (const file of scripts) {
    const rel = path.relative(root, file);
    if (rel && rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel)) {
      if (!watched.some((w) => rel === w || rel.startsWith(`${w}/`))) inside.push(rel);
    } else outside.push({ root: path.dirname(file), paths: [path.basename(file)] });
  }
  return { inside, outside };
}
