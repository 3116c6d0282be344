/**
 * The `codex` worker: `codex exec --json` with the sandbox chosen by the step (read-only or
 * workspace-write), stdin closed, resume through `exec resume <thread_id>`. With a
 * `model_endpoint`, a private CODEX_HOME (`<run-id>.homes/<worker>/` beside the workspace) holds a config.toml
 * whose provider points at the endpoint, and a dummy key: nothing of `~/.codex` is used.
 *
 * Inside the engine's OS sandbox (ctx.sandboxed) codex runs with its own sandbox off
 * (`--dangerously-bypass-approvals-and-sandbox`): the engine's bubblewrap already confines it.
 * With the engine's sandbox off it keeps `--sandbox read-only|workspace-write`. A private home
 * gets its own TMPDIR (`<home>/tmp`): codex refuses to create its PATH helper aliases when its
 * home is under the temp dir, and with a system `bwrap` on PATH every write of its own
 * sandbox then fails while its stream still reports the `file_change` (docs/governance.md).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scriptPlaces, scriptsNamedBy, tomlStrings } from './find-named-scripts.js';
import { readTextOrNull } from '../util/read-or-null.js';
import { defineBuiltinWorker, type WorkerCallContext } from './types.js';
import { ensureDirectory, writeHomeFile } from '../store/home-files.js';
import { createCodexParser } from './parse/codex-exec-json.js';
import { detectCliVersion, resolveCliBin } from './resolve-bin.js';
import { absoluteDirVar, endpointOrigin, promptArgOrStdin } from './cli-env.js';
import { hasPrivateHome, NETWORK_ENV } from './worker-env.js';

export const DUMMY_OPENAI_KEY = 'engine-dummy-openai-key';
const PROVIDER = 'engine';

export const codexWorker = defineBuiltinWorker({
  name: 'codex',
  contract: 1,
  summary: 'drives the codex CLI (codex exec)',
  cli: {
    pkg: '@openai/codex',
    ranges: [
      { from: '0.1.0', below: '0.41.0', dialect: 'codex-legacy' },
      { from: '0.41.0', below: '0.44.0', dialect: 'codex-exec-json-experimental' },
      { from: '0.44.0', below: '1.0.0', dialect: 'codex-exec-json' },
    ],
    verified: ['0.169.0'],
  },
  login: { homeVar: 'CODEX_HOME', homeDir: '.codex', file: 'auth.json', keys: ['OPENAI_API_KEY'], command: 'codex login' },
  modelEndpoint: { api: 'openai', env: ['CODEX_HOME', 'OPENAI_API_KEY'] },
  structuredOutput: true,
  // One parser reads all three (it tells them apart by their events).
  dialects: { 'codex-exec-json': () => createCodexParser(), 'codex-exec-json-experimental': () => createCodexParser(), 'codex-legacy': () => createCodexParser() },
  // Its provider key and endpoint, and its own settings (CODEX_HOME, CODEX_API_KEY, …).
  envPass: ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_ORG_ID', 'OPENAI_ORGANIZATION', 'OPENAI_PROJECT', 'CODEX_*', ...NETWORK_ENV],
  detectVersion({ bin, env }) {
    return detectCliVersion(bin, env, this.cli?.pkg);
  },
  resolveBin: (spec, packageRoot, projectDirs) => resolveCliBin(spec, packageRoot, 'codex', projectDirs),
  async prepare(ctx) {
    if (!hasPrivateHome(ctx.spec)) return;
    // The home is the worker's to write: what it left at these names is replaced, never written through.
    ensureDirectory(ctx.homeDir);
    ensureDirectory(path.join(ctx.homeDir, 'tmp'));
    writeHomeFile(ctx.homeDir, 'config.toml', renderCodexConfig(ctx));
    if (ctx.outputSchemaPath) writeHomeFile(ctx.homeDir, path.basename(strictSchemaPath(ctx)), strictSchemaText(ctx.outputSchemaPath));
  },
  // What a next codex session runs (config.toml: notify, MCP servers, profiles, providers) or
  // reads as instructions (AGENTS.md, prompts, rules), when the worker uses the user's home.
  // Named also for a worker with a private home: without the OS sandbox any process of the run
  // can write them; under it a tree no grant reaches is not walked.
  userConfig(_spec, env) {
    const home = env.HOME || os.homedir();
    const root = absoluteDirVar(env, 'CODEX_HOME') || path.join(home, '.codex');
    // .env: codex loads it into its own environment on every start (BASH_ENV, OPENAI_BASE_URL);
    // skills/.system is what codex installs there itself.
    const paths = ['config.toml', '.env', 'AGENTS.md', 'AGENTS.override.md', 'prompts', 'rules', 'skills'];
    // The scripts config.toml names by path (notify, MCP servers), watched like it.
    const scripts = scriptPlaces(root, paths, scriptsNamedBy(tomlStrings(readTextOrNull(path.join(root, 'config.toml')) ?? ''), home));
    return [{ root, paths: [...paths, ...scripts.inside], skip: ['skills/.system'] }, ...scripts.outside];
  },
  // Without the private home codex keeps its state in CODEX_HOME or ~/.codex: writable in the sandbox.
  stateDirs(spec, env) {
    return hasPrivateHome(spec) ? [] : [absoluteDirVar(env, 'CODEX_HOME') || path.join(env.HOME || os.homedir(), '.codex')];
  },
  invoke(ctx) {
    const { spec } = ctx;
    const [promptArgs, stdin] = promptArgOrStdin(ctx.prompt, (p) => [p], ['-']);
    const common = ['--json', '--skip-git-repo-check'];
    if (spec.model) common.push('-m', spec.model);
    if (ctx.outputSchemaPath) common.push('--output-schema', hasPrivateHome(ctx.spec) ? strictSchemaPath(ctx) : ctx.outputSchemaPath);
    const sandbox = [...(ctx.sandboxed ? ['--dangerously-bypass-approvals-and-sandbox'] : ['--sandbox', ctx.readOnly ? 'read-only' : 'workspace-write']), '-C', ctx.cwd];
    const args = ctx.resumeSessionId
      ? ['exec', ...sandbox, 'resume', ...common, ...(spec.args ?? []), ctx.resumeSessionId, ...promptArgs]
      : ['exec', ...sandbox, ...common, ...(spec.args ?? []), ...promptArgs];
    const env = codexEnv(ctx);
    const writable = this.stateDirs!(spec, env);
    return { bin: this.resolveBin(spec, ctx.packageRoot, ctx.projectDirs), args, env, cwd: ctx.cwd, stdin, writable };
  },
  createParser: (ctx) => createCodexParser(ctx.usageBaseline ?? null),
});

/** The worker's environment: the engine's, the spec's, and the private home when used. Pure. */
export function codexEnv(ctx: WorkerCallContext): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...ctx.baseEnv, ...(ctx.spec.env ?? {}) };
  if (hasPrivateHome(ctx.spec)) {
    env.CODEX_HOME = ctx.homeDir;
    env.TMPDIR = path.join(ctx.homeDir, 'tmp');
  }
  if (ctx.spec.model_endpoint) {
    env.OPENAI_API_KEY = DUMMY_OPENAI_KEY;
    delete env.OPENAI_BASE_URL;
  }
  return env;
}

/** config.toml of a private CODEX_HOME. Pure. */
export function renderCodexConfig(ctx: WorkerCallContext): string {
  const lines: string[] = ['# Written by the engine for this run; the user\'s ~/.codex is not used.'];
  if (ctx.spec.model) lines.push(`model = ${JSON.stringify(ctx.spec.model)}`);
  if (ctx.spec.model_endpoint) lines.push(`model_provider = "${PROVIDER}"`);
  // What codex would otherwise write into its home on its own: a dump of its shell's
  // environment (features.shell_snapshot; the keys are checked against codex 0.169.0, which
  // rejects an unknown history.persistence) and the prompt history. Tables after top keys.
  lines.push('', '[features]', 'shell_snapshot = false', 'shell_snapshot_v2 = false', '', '[history]', 'persistence = "none"');
  lines.push('', '[analytics]', 'enabled = false', '', '[feedback]', 'enabled = false');
  if (ctx.spec.model_endpoint) {
    lines.push(
      '',
      `[model_providers.${PROVIDER}]`,
      `name = "${PROVIDER}"`,
      `base_url = ${JSON.stringify(`${endpointOrigin(ctx.spec.model_endpoint)}/v1`)}`,
      'env_key = "OPENAI_API_KEY"',
      'wire_api = "responses"',
    );
  }
  return `${lines.join('\n')}\n`;
}

function strictSchemaPath(ctx: WorkerCallContext): string {
  return path.join(ctx.homeDir, `output-schema-${path.basename(ctx.outputSchemaPath ?? 'schema.json')}`);
}

/** The markers schema without the meta keywords the Responses API does not take. Pure. */
export function strictSchemaText(schemaPath: string): string {
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  delete schema.$id;
  return `${JSON.stringify(schema, null, 2)}\n`;
}
