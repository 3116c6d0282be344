import t from 'tap';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildCommandEnv, buildWorkerEnv, withheldNames } from '../../engine/workers/worker-env.js';
import { collectSecrets, createStreamRedactor, DEFAULT_REDACT, looksLikeKey, maskKeyShapes, redactText } from '../../engine/workers/redact.js';
import { scrubHome } from '../../engine/workers/scrub-home.js';
import { runWorkerCall } from '../../engine/workers/run-worker-call.js';
import { commandWorker } from '../../engine/workers/command-worker.js';
import { codexWorker, renderCodexConfig } from '../../engine/workers/codex-worker.js';
import { claudeWorker } from '../../engine/workers/claude-worker.js';
import { makeCtx, makeTempDir } from '../fixtures/workers/make-ctx.js';
import { checkPluginShape, loadWorkerPlugin } from '../../engine/workers/load-plugin.js';

const userEnv = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/u',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  TERM: 'xterm',
  TMPDIR: '/tmp',
  OPENAI_API_KEY: 'openai-value',
  OPENAI_BASE_URL: 'https://example.invalid',
  ANTHROPIC_API_KEY: 'anthropic-value',
  ANTHROPIC_AUTH_TOKEN: 'anthropic-token',
  CODEX_HOME: '/home/u/.codex',
  CLAUDE_CONFIG_DIR: '/home/u/.claude',
  GITHUB_TOKEN: 'github-value',
  AWS_SECRET_ACCESS_KEY: 'aws-value',
  DB_PASSWORD: 'db-value',
  MY_SETTING: 'sk-custom0123456789abcdefABC',
  lc_lower: 'not a locale variable',
};

t.test('a worker gets the base allow-list, what its plugin declares and its env_pass, nothing else', async (t) => {
  const base = buildWorkerEnv({ engineEnv: userEnv });
  t.same(Object.keys(base).sort(), ['HOME', 'LANG', 'LC_ALL', 'PATH', 'TERM', 'TMPDIR'], 'names are case-sensitive: lc_lower is not LC_*');

  const codex = buildWorkerEnv({ engineEnv: userEnv, pluginPass: codexWorker.envPass });
  t.same(Object.keys(codex).filter((k) => !(k in base)).sort(), ['CODEX_HOME', 'OPENAI_API_KEY', 'OPENAI_BASE_URL'], 'codex: its provider, not anthropic');
  const claude = buildWorkerEnv({ engineEnv: userEnv, pluginPass: claudeWorker.envPass });
  t.same(Object.keys(claude).filter((k) => !(k in base)).sort(), ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CONFIG_DIR'], 'claude: its provider, not openai');

  const passed = buildWorkerEnv({ engineEnv: userEnv, specPass: ['GITHUB_TOKEN', 'AWS_*'] });
  t.equal(passed.GITHUB_TOKEN, 'github-value');
  t.equal(passed.AWS_SECRET_ACCESS_KEY, 'aws-value');
  t.notOk('DB_PASSWORD' in passed);

  const isolated = buildWorkerEnv({ engineEnv: userEnv, home: '/run/homes/w' });
  t.equal(isolated.HOME, '/run/homes/w', 'HOME is the private home when isolated');
});

t.test('the plugin sees the narrowed environment: a command worker, codex and claude invocations', async (t) => {
  const ctx = makeCtx({ use: 'command', bin: 'true', env: { SET_BY_PIPELINE: 'x' }, env_pass: ['GITHUB_TOKEN'] }, { baseEnv: userEnv });
  const r = await runWorkerCall({ plugin: commandWorker, ctx: { ...ctx, spec: { ...ctx.spec, bin: process.execPath, args: ['-e', 'process.stdout.write(Object.keys(process.env).sort().join(","))'] } }, callDir: path.join(makeTempDir(), 'c') });
  t.equal(r.outcome, 'ok', r.meta.error ?? '');
  // tap's process-info hook adds its own variables to every node child it sees spawned.
  const seen = r.text.split(',').filter((k) => !k.startsWith('_TAPJS') && k !== 'NODE_OPTIONS');
  t.same(seen, ['GITHUB_TOKEN', 'HOME', 'LANG', 'LC_ALL', 'PATH', 'SET_BY_PIPELINE', 'TERM', 'TMPDIR']);

  const endpoint = { model_endpoint: 'http://127.0.0.1:9' };
  const codexCtx = makeCtx({ use: 'codex', ...endpoint }, { baseEnv: buildWorkerEnv({ engineEnv: userEnv, pluginPass: codexWorker.envPass }) });
  const codexEnv = codexWorker.invoke(codexCtx).env;
  t.notOk('ANTHROPIC_API_KEY' in codexEnv || 'GITHUB_TOKEN' in codexEnv, 'codex never sees another provider or the user tokens');
  t.equal(codexEnv.OPENAI_API_KEY, 'engine-dummy-openai-key', 'against a model endpoint, a dummy key');
  const claudeEnv = claudeWorker.invoke(makeCtx({ use: 'claude', ...endpoint }, { baseEnv: buildWorkerEnv({ engineEnv: userEnv, pluginPass: claudeWorker.envPass }) })).env;
  t.notOk('OPENAI_API_KEY' in claudeEnv || 'AWS_SECRET_ACCESS_KEY' in claudeEnv);
  t.equal(claudeEnv.CLAUDE_CODE_SKIP_PROMPT_HISTORY, '1', 'claude keeps no prompt history');
  const toml = renderCodexConfig(codexCtx);
  t.match(toml, /^model_provider = "engine"$/m);
  t.ok(toml.indexOf('model_provider') < toml.indexOf('[features]'), 'top-level keys before the first table');
  t.match(toml, /\[features\]\nshell_snapshot = false/);
  t.match(toml, /\[history\]\npersistence = "none"/);
});

t.test('verification and command steps lose the worker provider keys and the secret-named variables unless passed', async (t) => {
  // They run code a worker may have written (a planted test): what they are given can reach
  // the workspace, the run branch and the next prompt (a hostile probe copied a token so).
  const env = buildCommandEnv(userEnv, [], DEFAULT_REDACT);
  for (const k of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CODEX_HOME', 'CLAUDE_CONFIG_DIR']) t.notOk(k in env, `${k} removed (a worker provider's)`);
  for (const k of ['GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'DB_PASSWORD']) t.notOk(k in env, `${k} removed (a secret's name)`);
  for (const k of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'lc_lower']) t.ok(k in env, `${k} kept (the user's tests may need it)`);
  t.notOk('MY_SETTING' in env, 'MY_SETTING removed: its value has a key\'s shape, whatever its name');
  const disguised = buildCommandEnv({ github_token: 'lower-case-name', DATABASE_URL: 'postgres://app:pw-123456@db/app', PLAIN_URL: 'https://example.com:8443/x', AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', NPM_CONFIG__AUTH: 'dXNlcjpwYXNz', KEYBOARD_LAYOUT: 'us' }, [], DEFAULT_REDACT);
  t.strictSame(Object.keys(disguised).sort(), ['KEYBOARD_LAYOUT', 'PLAIN_URL'], 'a secret name in lower case, a URL with a password, a key id and an auth string are withheld too');
  t.strictSame(withheldNames(userEnv, env), Object.keys(userEnv).filter((k) => !(k in env)).sort(), 'the names left out, for the log');
  t.ok(withheldNames(userEnv, env).includes('GITHUB_TOKEN'));
  const passed = buildCommandEnv(userEnv, ['OPENAI_API_KEY', 'AWS_*'], DEFAULT_REDACT);
  t.equal(passed.OPENAI_API_KEY, 'openai-value', 'verification.env_pass keeps a provider key');
  t.equal(passed.AWS_SECRET_ACCESS_KEY, userEnv.AWS_SECRET_ACCESS_KEY, 'and a secret-named one, by glob');
  t.notOk('GITHUB_TOKEN' in passed, 'only what it names');
  t.ok('GITHUB_TOKEN' in buildCommandEnv(userEnv, [], ['*_KEY']), 'the policy\'s own redact list decides which names are secret');
});

t.test('key-shaped values are masked whatever their name; ordinary words and hashes are not', async (t) => {
  const keys: [string, string][] = [
    ['sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv', 'sk-key'],
    ['sk-ant-api03-abcDEF123456789ghiJKL', 'sk-key'],
    [`ghp_${'A1b2C3d4E5'.repeat(4)}`, 'github-token'],
    ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopq', 'github-token'],
    ['xoxb-123456789012-abcdefABCDEF', 'slack-token'],
    ['AKIAIOSFODNN7EXAMPLE', 'aws-access-key-id'],
    ['glpat-abcdefghij0123456789', 'gitlab-token'],
    ['AIzaSyA1234567890abcdefghijklmnopqrstuv', 'google-api-key'],
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N', 'jwt'],
  ];
  for (const [key, kind] of keys) {
    t.equal(maskKeyShapes(`a "${key}" b`), `a "[REDACTED:${kind}]" b`, kind);
    t.ok(looksLikeKey(key), `${kind}: a whole value of this shape is a secret`);
  }
  t.equal(maskKeyShapes('Authorization: Bearer abc123def456ghi789'), 'Authorization: Bearer [REDACTED:bearer-token]');
  const ordinary = [
    'commit 3f2a9c8e1b7d4a6f0e5c2b9a8d7e6f5a4b3c2d1e tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904',
    'sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'the task-sk-proj-list and desk-0123456789abcdefghij are file names',
    'sk-learn-classification-utilities is a package; a Bearer token goes in a header',
    'AKIA is a prefix; ghp_short; xoxb-short; Bearer abcdefghijklmnopqrstuvwxyz',
    'src/engine/workers/redact.ts:42 uses npm_config_cache and MY_API_KEY_NAME',
  ];
  for (const text of ordinary) t.equal(maskKeyShapes(text), text, `left alone: ${text}`);
  t.notOk(looksLikeKey('plain-value-123'), 'an ordinary value is not a key');
  const secrets = collectSecrets(['*_KEY'], [{ MY_SETTING: 'sk-custom0123456789abcdefABC', NOTHING: 'ordinary-value' }]);
  t.same(secrets.map((s) => s.name), ['MY_SETTING'], 'a custom name with an sk- value is a secret');
  t.equal(redactText('x sk-custom0123456789abcdefABC y', secrets), 'x [REDACTED:MY_SETTING] y');
});

t.test('streamed key shapes are masked at every chunk boundary, Bearer included', async (t) => {
  const input = Buffer.from('{"h":"Bearer abc123def456ghi789"} sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv url=https://hooks.slack.com/services/T01/B02/abcdefghijkl end\n');
  const want = redactText(input.toString(), []);
  t.equal(want, '{"h":"Bearer [REDACTED:bearer-token]"} [REDACTED:sk-key] url=https://[REDACTED:slack-webhook] end\n');
  for (let cut = 1; cut < input.length; cut++) {
    const r = createStreamRedactor([]);
    const out = Buffer.concat([r.push(input.subarray(0, cut)), r.push(input.subarray(cut)), r.flush()]).toString();
    if (out !== want) t.fail(`cut at ${cut}: ${out}`);
  }
  const r = createStreamRedactor([]);
  t.equal(Buffer.concat([...input].map((b) => r.push(Buffer.from([b]))).concat(r.flush())).toString(), want, 'byte by byte');
  const bytes = Buffer.from([0xff, 0xfe, 0x41, 0xe2, 0x82, 0xac, 0x0a]);
  const raw = createStreamRedactor([]);
  t.same(Buffer.concat([raw.push(bytes), raw.flush()]), bytes, 'bytes that are not UTF-8 pass unchanged');
});

t.test('a multi-MB single line through a command worker: stdout.log, events.jsonl and text.md stay within the cap', async (t) => {
  const cap = 64 * 1024;
  for (const output of ['text', 'jsonl'] as const) {
    const script = output === 'text' ? 'process.stdout.write("x".repeat(6*1024*1024))' : 'process.stdout.write(JSON.stringify({kind:"message",text:"y".repeat(6*1024*1024)})+"\\n"); for (let i=0;i<5000;i++) process.stdout.write(JSON.stringify({kind:"warning",message:"w"+i})+"\\n")';
    const ctx = makeCtx({ use: 'command', bin: process.execPath, args: ['-e', script], output }, { phase: 'probe' });
    const r = await runWorkerCall({ plugin: commandWorker, ctx, callDir: path.join(makeTempDir(), 'c'), rawCapBytes: cap, markersPhase: null });
    t.equal(r.outcome, 'ok', `${output}: ${r.meta.error ?? ''}`);
    t.ok(r.meta.bytes >= 6 * 1024 * 1024, `${output}: the whole output was read`);
    const sizes = Object.fromEntries(readdirSync(r.callDir).map((f) => [f, statSync(path.join(r.callDir, f)).size]));
    for (const f of ['stdout.log', 'events.jsonl', 'text.md']) t.ok(sizes[f]! <= cap, `${output}: ${f} is ${sizes[f]} bytes, cap ${cap}`);
    const total = Object.values(sizes).reduce((a, b) => a + b, 0);
    t.ok(total < 4 * cap, `${output}: the call directory holds ${total} bytes`);
    t.equal(r.meta.truncated, true);
    t.match(readFileSync(path.join(r.callDir, 'events.jsonl'), 'utf8'), /events\.jsonl reached the cap/);
    if (output === 'text') t.match(readFileSync(path.join(r.callDir, 'text.md'), 'utf8'), /\[engine: answer cut at the cap of 65536 bytes; it had 6291456 bytes\]\n$/);
    t.ok(r.meta.warnings.some((w) => /events\.jsonl exceeded the cap/.test(w)));
  }
});

t.test('a secret a CLI wrote into its home is scrubbed in place and reported by file and name', async (t) => {
  const home = makeTempDir();
  mkdirSync(path.join(home, 'shell_snapshots'));
  const secret = 'canary-value-0123';
  writeFileSync(path.join(home, 'shell_snapshots', 'snap.sh'), `export OPENAI_API_KEY=${secret}\nexport X=1\n`);
  const db = Buffer.concat([Buffer.from([0, 1, 2, 3]), Buffer.from(`k=${secret};`), Buffer.from([0, 9])]);
  writeFileSync(path.join(home, 'state.sqlite'), db);
  writeFileSync(path.join(home, 'clean.txt'), 'nothing here\n');
  const secrets = collectSecrets(['*_KEY'], [{ OPENAI_API_KEY: secret }]);
  const hits = scrubHome(home, secrets);
  t.same(hits, [
    { file: path.join('shell_snapshots', 'snap.sh'), names: ['OPENAI_API_KEY'] },
    { file: 'state.sqlite', names: ['OPENAI_API_KEY'] },
  ]);
  t.equal(readFileSync(path.join(home, 'shell_snapshots', 'snap.sh'), 'utf8'), 'export OPENAI_API_KEY=[REDACTED:OPENAI_API_KEY]\nexport X=1\n');
  const after = readFileSync(path.join(home, 'state.sqlite'));
  t.equal(after.length, db.length, 'a binary file keeps its length');
  t.notOk(after.includes(secret));
  t.same(scrubHome(home, secrets), [], 'a second scan finds nothing');

  // Through a call: a command worker that writes the value into its home.
  const ctx = makeCtx({ use: 'command', bin: process.execPath, args: ['-e', `require("fs").writeFileSync(process.argv[1] + "/leak.txt", "v=${secret}")`, ''] }, { phase: 'probe', baseEnv: { PATH: process.env.PATH, OPENAI_API_KEY: secret } });
  mkdirSync(ctx.homeDir, { recursive: true });
  ctx.spec.args![2] = ctx.homeDir;
  const r = await runWorkerCall({ plugin: commandWorker, ctx, callDir: path.join(makeTempDir(), 'c'), markersPhase: null });
  t.equal(r.outcome, 'ok', r.meta.error ?? '');
  t.same(r.homeScrubbed, [{ file: 'leak.txt', names: ['OPENAI_API_KEY'] }]);
  t.equal(r.meta.secrets_scrubbed, 1);
  t.ok(r.meta.warnings.some((w) => w === "the worker's home held the value of OPENAI_API_KEY: scrubbed in leak.txt"));
  t.notOk(readFileSync(path.join(ctx.homeDir, 'leak.txt'), 'utf8').includes(secret));
  t.notOk(readFileSync(path.join(r.callDir, 'meta.json'), 'utf8').includes(secret), 'the report never holds the value');
});

t.test("a user's plugin module declares what it needs in envPass, and gets that and no more", async (t) => {
  const dir = makeTempDir();
  writeFileSync(
    path.join(dir, 'mytool.mjs'),
    `export default {
  name: 'mytool', contract: 1, envPass: ['MYTOOL_*'],
  detectVersion: async () => null,
  resolveBin: () => process.execPath,
  invoke: (ctx) => ({ bin: process.execPath, args: ['-e', 'process.stdout.write(Object.keys(process.env).filter((k) => !k.startsWith("_TAPJS") && k !== "NODE_OPTIONS").sort().join(","))'], env: { ...ctx.baseEnv }, cwd: ctx.cwd, stdin: 'closed' }),
  createParser() {
    let text = '';
    return {
      line(l) { text += l; return []; },
      end: (exit) => ({ outcome: exit.exitCode === 0 ? 'ok' : 'failed', finalText: text, sessionId: null, dialect: 'mytool', usage: null, costUsd: null, unknownEventTypes: {}, error: null }),
    };
  },
};
`,
  );
  const plugin = await loadWorkerPlugin('./mytool.mjs', dir);
  const ctx = makeCtx({ use: './mytool.mjs' }, { phase: 'probe', baseEnv: { ...userEnv, MYTOOL_KEY: 'mine', OTHERTOOL_KEY: 'theirs' } });
  const r = await runWorkerCall({ plugin, ctx, callDir: path.join(makeTempDir(), 'c'), markersPhase: null });
  t.equal(r.outcome, 'ok', r.meta.error ?? '');
  t.same(r.text.split(','), ['HOME', 'LANG', 'LC_ALL', 'MYTOOL_KEY', 'PATH', 'TERM', 'TMPDIR']);
  t.match(checkPluginShape({ ...plugin, envPass: 'MYTOOL_KEY' }), ['`envPass` must be a list of variable names when present']);
});
