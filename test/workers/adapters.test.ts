import t from 'tap';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { codexWorker, DUMMY_OPENAI_KEY } from '../../engine/workers/codex-worker.js';
import { claudeWorker, DUMMY_ANTHROPIC_KEY } from '../../engine/workers/claude-worker.js';
import { commandWorker } from '../../engine/workers/command-worker.js';
import { resolveWorkerPlugin, loadWorkerPlugin } from '../../engine/workers/load-plugin.js';
import { runWorkerCall } from '../../engine/workers/run-worker-call.js';
import { extractSemver } from '../../engine/workers/resolve-bin.js';
import { markersSchemaPath } from '../../engine/workers/extract-markers.js';
import { packageRoot } from '../../engine/paths.js';
import { makeCtx, makeTempDir, workersDir, cleanEnv } from '../fixtures/workers/make-ctx.js';

const pinned = (cli: string) => path.join(packageRoot, 'node_modules', '.bin', cli);

t.test('codex: exec --json, sandbox per step, stdin closed, private home with the endpoint provider', async (t) => {
  const ctx = makeCtx({ use: 'codex', model: 'stub-model', model_endpoint: 'http://127.0.0.1:8787/' }, { readOnly: true, baseEnv: { PATH: '/usr/bin', OPENAI_API_KEY: 'sk-user-real', OPENAI_BASE_URL: 'https://x' } });
  await codexWorker.prepare!(ctx);
  const inv = codexWorker.invoke(ctx);
  t.equal(inv.bin, pinned('codex'));
  t.same(inv.args.slice(0, 9), ['exec', '--sandbox', 'read-only', '-C', ctx.cwd, '--json', '--skip-git-repo-check', '-m', 'stub-model']);
  t.equal(inv.args.at(-1), ctx.prompt);
  t.equal(inv.stdin, 'closed');
  t.equal(inv.env.CODEX_HOME, ctx.homeDir);
  t.equal(inv.env.OPENAI_API_KEY, DUMMY_OPENAI_KEY);
  t.notOk('OPENAI_BASE_URL' in inv.env);
  const toml = readFileSync(path.join(ctx.homeDir, 'config.toml'), 'utf8');
  t.match(toml, /^model_provider = "engine"$/m);
  t.match(toml, /^\[model_providers\.engine\]\nname = "engine"\nbase_url = "http:\/\/127\.0\.0\.1:8787\/v1"\nenv_key = "OPENAI_API_KEY"\nwire_api = "responses"$/m);

  const write = codexWorker.invoke(makeCtx({ use: 'codex' }, { readOnly: false, resumeSessionId: 'thread-1', outputSchemaPath: markersSchemaPath('implement') }));
  t.same(write.args.slice(0, 5), ['exec', '--sandbox', 'workspace-write', '-C', write.cwd]);
  t.equal(write.args[5], 'resume');
  t.ok(write.args.includes('--output-schema'));
  t.equal(write.args.at(-2), 'thread-1');
  t.notOk('CODEX_HOME' in write.env && write.env.CODEX_HOME !== process.env.CODEX_HOME, 'no private home without endpoint or isolate_home');

  const big = codexWorker.invoke(makeCtx({ use: 'codex' }, { prompt: 'x'.repeat(200 * 1024) }));
  t.equal(big.args.at(-1), '-', 'a huge prompt goes on stdin');
  t.equal(big.stdin, 'prompt');
});

t.test('codex --output-schema with a private home gets the schema without meta keywords', async (t) => {
  const ctx = makeCtx({ use: 'codex', model_endpoint: 'http://127.0.0.1:1' }, { outputSchemaPath: markersSchemaPath('review') });
  await codexWorker.prepare!(ctx);
  const inv = codexWorker.invoke(ctx);
  const file = inv.args[inv.args.indexOf('--output-schema') + 1]!;
  const schema = JSON.parse(readFileSync(file, 'utf8'));
  t.notOk('$schema' in schema);
  t.equal(schema.additionalProperties, false);
});

t.test('claude: stream-json, verbose, permission modes, no MCP, endpoint isolation', async (t) => {
  const ctx = makeCtx({ use: 'claude', model: 'sonnet', model_endpoint: 'http://127.0.0.1:9999' }, { baseEnv: { PATH: '/usr/bin', CLAUDECODE: '1', ANTHROPIC_API_KEY: 'sk-ant-user', ANTHROPIC_AUTH_TOKEN: 'tok' } });
  const inv = claudeWorker.invoke(ctx);
  t.equal(inv.bin, pinned('claude'));
  t.same(inv.args.slice(0, 6), ['-p', ctx.prompt, '--output-format', 'stream-json', '--verbose', '--permission-mode']);
  t.equal(inv.args[6], 'acceptEdits');
  t.same(inv.args.slice(7, 9), ['--allowedTools', 'Bash']);
  t.ok(inv.args.includes('--strict-mcp-config'));
  t.equal(inv.args[inv.args.indexOf('--mcp-config') + 1], '{"mcpServers":{}}');
  t.equal(inv.args[inv.args.indexOf('--model') + 1], 'sonnet');
  t.equal(inv.stdin, 'closed');
  t.notOk('CLAUDECODE' in inv.env);
  t.notOk('ANTHROPIC_AUTH_TOKEN' in inv.env);
  t.match(inv.env, { ANTHROPIC_BASE_URL: 'http://127.0.0.1:9999', ANTHROPIC_API_KEY: DUMMY_ANTHROPIC_KEY, CLAUDE_CONFIG_DIR: ctx.homeDir, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' });

  const ro = claudeWorker.invoke(makeCtx({ use: 'claude', isolate_home: true }, { readOnly: true, resumeSessionId: 'sess-1', outputSchemaPath: markersSchemaPath('plan'), baseEnv: { ANTHROPIC_API_KEY: 'sk-ant-user' } }));
  t.equal(ro.args[ro.args.indexOf('--permission-mode') + 1], 'plan');
  t.notOk(ro.args.includes('--allowedTools'));
  t.equal(ro.args[ro.args.indexOf('--resume') + 1], 'sess-1');
  t.equal(JSON.parse(ro.args[ro.args.indexOf('--json-schema') + 1]!).required[0], 'milestones');
  t.equal(ro.env.ANTHROPIC_API_KEY, 'sk-ant-user', 'isolate_home keeps the user key');
  t.ok(ro.env.CLAUDE_CONFIG_DIR);
});

t.test('command: argv, prompt on stdin or as the last argument, spec env', async (t) => {
  const s = commandWorker.invoke(makeCtx({ use: 'command', bin: '/bin/my', args: ['--x'], env: { A: '1' } }));
  t.same([s.bin, s.args, s.stdin, s.env.A], ['/bin/my', ['--x'], 'prompt', '1']);
  const a = commandWorker.invoke(makeCtx({ use: 'command', bin: '/bin/my', prompt_via: 'arg' }, { prompt: 'P' }));
  t.same([a.args, a.stdin], [['P'], 'closed']);
  const r = await runWorkerCall({ plugin: commandWorker, ctx: makeCtx({ use: 'command' }), callDir: path.join(makeTempDir(), 'c') });
  t.equal(r.outcome, 'failed', 'a command worker without bin is a failed call');
  t.match(r.meta.error, /needs `bin`/);
});

t.test('plugins by name and by module path', async (t) => {
  t.equal((await resolveWorkerPlugin({ use: 'codex' }, '.')).name, 'codex');
  t.equal((await resolveWorkerPlugin({ use: 'replay' }, '.')).name, 'replay');
  await t.rejects(resolveWorkerPlugin({ use: 'gemini' }, '.'), { code: 'E_UNKNOWN_WORKER' });
  const plugins = path.join(workersDir, 'plugins');
  await t.rejects(loadWorkerPlugin('./missing.mjs', plugins), { code: 'E_PLUGIN_MISSING' });
  await t.rejects(loadWorkerPlugin('./not-a-plugin.mjs', plugins), { code: 'E_PLUGIN_INVALID', message: /contract.*detectVersion/s });
  // The echo plugin as tsc compiles `export default defineWorker({...})` for a CommonJS package
  // (npm init's "type": "commonjs"): the object under `exports.default`, marked __esModule.
  const cjsDir = makeTempDir();
  const esm = readFileSync(path.join(plugins, 'echo-plugin.mjs'), 'utf8');
  t.match(esm, /^export default \{$/m);
  writeFileSync(path.join(cjsDir, 'echo-plugin.cjs'), esm.replace(/^export default \{$/m, "'use strict';\nObject.defineProperty(exports, '__esModule', { value: true });\nexports.default = {"));
  const commonJs = await resolveWorkerPlugin({ use: './echo-plugin.cjs' }, cjsDir);
  t.equal(commonJs.name, 'echo', "a CommonJS module's exports.default (tsc's output for export default) is the plugin");
  const echo = await resolveWorkerPlugin({ use: './echo-plugin.mjs' }, plugins);
  const r = await runWorkerCall({ plugin: echo, ctx: makeCtx({ use: './echo-plugin.mjs' }, { phase: 'review' }), callDir: path.join(makeTempDir(), 'c') });
  t.equal(r.outcome, 'ok');
  t.same(r.markers, { verdict: 'approve', changes: [] });
  t.equal(r.meta.cli_version, '1.0.0');
  t.equal(r.meta.dialect, 'echo');
});

t.test('detectVersion runs the pinned real CLIs', async (t) => {
  t.equal(extractSemver('codex-cli 0.169.0'), '0.169.0');
  t.equal(extractSemver('2.1.197 (Claude Code)'), '2.1.197');
  t.equal(extractSemver('no version'), null);
  t.ok(existsSync(pinned('codex')) && existsSync(pinned('claude')), 'pinned CLIs installed');
  const env = cleanEnv();
  t.equal(await codexWorker.detectVersion({ bin: codexWorker.resolveBin({ use: 'codex' }, packageRoot), env }), '0.169.0');
  t.equal(await claudeWorker.detectVersion({ bin: claudeWorker.resolveBin({ use: 'claude' }, packageRoot), env }), '2.1.197');
  t.equal(await codexWorker.detectVersion({ bin: '/nonexistent/codex', env }), null);
});
