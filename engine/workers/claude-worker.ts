/**
 * The `claude` worker: `claude -p --output-format stream-json --verbose`, permission mode
 * acceptEdits (plan when the step is read-only), Bash allowed when it may change files, no
 * MCP servers, resume by session id. With a `model_endpoint`: ANTHROPIC_BASE_URL, a dummy
 * key and a private CLAUDE_CONFIG_DIR (`<run-id>.homes/<worker>/` beside the workspace), so `~/.claude` is never
 * read or changed; `isolate_home` alone gives the private dir with the user's own key.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineBuiltinWorker, type WorkerCallContext } from './types.js';
import { mcpServerWords, scriptPlaces, scriptsNamedBy, settingsCommands } from './find-named-scripts.js';
import { readJsonOrNull } from '../util/read-or-null.js';
import { createClaudeJsonParser, createClaudeStreamParser } from './parse/claude-stream-json.js';
import { detectCliVersion, resolveCliBin } from './resolve-bin.js';
import { absoluteDirVar, endpointOrigin, promptArgOrStdin } from './cli-env.js';
import { hasPrivateHome, NETWORK_ENV } from './worker-env.js';
import { canonicalJson } from '../util/canonical-json.js';
import { parseJson } from '../util/parse-json.js';

export const DUMMY_ANTHROPIC_KEY = 'engine-dummy-anthropic-key';

export const claudeWorker = defineBuiltinWorker({
  name: 'claude',
  contract: 1,
  summary: 'drives the claude CLI (Claude Code)',
  cli: {
    pkg: '@anthropic-ai/claude-code',
    ranges: [{ from: '1.0.0', below: '3.0.0', dialect: 'claude-stream-json' }],
    verified: ['2.1.197'],
  },
  login: {
    homeVar: 'CLAUDE_CONFIG_DIR',
    homeDir: '.claude',
    file: '.credentials.json',
    keys: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN'],
    command: 'claude',
    then: 'type /login in it',
    unreadable: { platform: 'darwin', where: 'the macOS Keychain' },
  },
  modelEndpoint: { api: 'anthropic', env: ['ANTHROPIC_BASE_URL', 'ANTHROPIC_API_KEY', 'CLAUDE_CONFIG_DIR'] },
  structuredOutput: true,
  dialects: { 'claude-stream-json': createClaudeStreamParser, 'claude-json': createClaudeJsonParser },
  // Its key or token, its endpoint and model settings, and its own CLAUDE_* switches.
  // IS_SANDBOX: what lets root use --dangerously-skip-permissions.
  envPass: ['ANTHROPIC_*', 'CLAUDE_CONFIG_DIR', 'CLAUDE_CODE_*', 'DISABLE_*', 'IS_SANDBOX', ...NETWORK_ENV],
  detectVersion({ bin, env }) {
    return detectCliVersion(bin, env, this.cli?.pkg);
  },
  resolveBin: (spec, packageRoot, projectDirs) => resolveCliBin(spec, packageRoot, 'claude', projectDirs),
  // Named also for a worker with a private home: without the OS sandbox any process of the run
  // can write them; under it a tree no grant reaches is not walked.
  userConfig(_spec, env) {
    const dir = absoluteDirVar(env, 'CLAUDE_CONFIG_DIR');
    const home = env.HOME || os.homedir();
    // CLAUDE_CONFIG_DIR holds what ~/.claude does, and .claude.json too.
    const root = dir || path.join(home, '.claude');
    const config = dir ? [...CLAUDE_CONFIG, '.claude.json'] : CLAUDE_CONFIG;
    const commands = [
      ...settingsCommands(readJsonOrNull(path.join(root, 'settings.json'))),
      ...settingsCommands(readJsonOrNull(path.join(root, 'settings.local.json'))),
      ...mcpServerWords(readJsonOrNull(path.join(dir || home, '.claude.json'))),
    ];
    const scripts = scriptPlaces(root, config, scriptsNamedBy(commands, home));
    return [
      { root, paths: [...config, ...scripts.inside], ...(dir ? { digests: { '.claude.json': digestClaudeMcp } } : {}) },
      ...(dir ? [] : [{ root: home, paths: ['.claude.json'], digests: { '.claude.json': digestClaudeMcp } }]),
      ...scripts.outside,
    ];
  },
  // Without the private dir claude keeps its state in ~/.claude and ~/.claude.json: writable in the sandbox.
  stateDirs(spec, env) {
    if (hasPrivateHome(spec) || absoluteDirVar(env, 'CLAUDE_CONFIG_DIR')) return [];
    const home = env.HOME || os.homedir();
    return [path.join(home, '.claude'), path.join(home, '.claude.json')];
  },
  invoke(ctx) {
    const { spec } = ctx;
    const [promptArgs, stdin] = promptArgOrStdin(ctx.prompt, (p) => [p], []);
    // The prompt comes right after -p: later variadic options cannot swallow it.
    const args = ['-p', ...promptArgs, '--output-format', 'stream-json', '--verbose'];
    args.push('--permission-mode', ctx.readOnly ? 'plan' : 'acceptEdits');
    if (!ctx.readOnly) args.push('--allowedTools', 'Bash');
    if (spec.model) args.push('--model', spec.model);
    if (ctx.outputSchemaPath) args.push('--json-schema', compactSchema(ctx.outputSchemaPath));
    if (ctx.resumeSessionId) args.push('--resume', ctx.resumeSessionId);
    args.push('--strict-mcp-config', '--mcp-config', '{"mcpServers":{}}');
    args.push(...(spec.args ?? []));
    const env = claudeEnv(ctx);
    const writable = this.stateDirs!(spec, env);
    return { bin: this.resolveBin(spec, ctx.packageRoot, ctx.projectDirs), args, env, cwd: ctx.cwd, stdin, writable };
  },
  createParser: () => createClaudeStreamParser(),
});

/**
 * What of ~/.claude a next claude session runs or reads as instructions: settings (hooks,
 * statusLine, apiKeyHelper, enabled plugins), the user's CLAUDE.md and rules, slash commands,
 * agents, hook scripts, skills and output styles.
 */
const CLAUDE_CONFIG = ['settings.json', 'settings.local.json', 'CLAUDE.md', 'rules', 'commands', 'agents', 'hooks', 'skills', 'output-styles'];

/**
 * The MCP servers ~/.claude.json makes a next session start (the user's own and each
 * project's, and the project servers approved in advance), in canonical JSON. claude rewrites
 * the rest of the file on every start (counters, tips, a project entry per directory, with
 * empty server lists): that is not compared. Pure.
 */
export function digestClaudeMcp(bytes: Uint8Array): string {
  const data = parseJson(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as Record<string, unknown> | null;
  const servers = (o: unknown): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const key of ['mcpServers', 'enabledMcpjsonServers', 'enableAllProjectMcpServers']) {
      const v = (o as Record<string, unknown> | null)?.[key];
      if (v && (typeof v !== 'object' || Object.keys(v).length > 0)) out[key] = v;
    }
    return out;
  };
  const projects: Record<string, unknown> = {};
  const listed = data?.['projects'];
  for (const [dir, entry] of Object.entries(listed && typeof listed === 'object' ? listed : {})) {
    const s = servers(entry);
    if (Object.keys(s).length) projects[dir] = s;
  }
  return canonicalJson({ user: servers(data), projects });
}

/** The worker's environment. Pure. */
export function claudeEnv(ctx: WorkerCallContext): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...ctx.baseEnv, ...(ctx.spec.env ?? {}) };
  // Set when the engine itself runs inside Claude Code; the child would refuse or nest.
  delete env.CLAUDECODE;
  delete env.CLAUDE_CODE_ENTRYPOINT;
  if (hasPrivateHome(ctx.spec)) env.CLAUDE_CONFIG_DIR = ctx.homeDir;
  // No prompt history (history.jsonl) and no telemetry files in its home.
  env.CLAUDE_CODE_SKIP_PROMPT_HISTORY = '1';
  env.DISABLE_TELEMETRY = '1';
  if (ctx.spec.model_endpoint) {
    env.ANTHROPIC_BASE_URL = endpointOrigin(ctx.spec.model_endpoint);
    env.ANTHROPIC_API_KEY = DUMMY_ANTHROPIC_KEY;
    delete env.ANTHROPIC_AUTH_TOKEN;
    env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = '1';
  }
  return env;
}

function compactSchema(file: string): string {
  const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  delete schema.$id;
  return JSON.stringify(schema);
}
