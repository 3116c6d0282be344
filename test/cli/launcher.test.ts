// test cost: about 9 s: the launcher, in many engine processes (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bareNode, childEnv, engine, makeFixture, twoMilestones } from '../helpers/run-fixture.js';

// bin/engine.js starts the bundled CLI (dist/engine.cjs) through a V8 code cache, falls back
// to the ES modules in dist/, and the bundle carries the shipped schemas' validators. Each
// test works on a copy of the built package so the real dist/ is never touched.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cacheName = `${process.version}-${process.arch}.bin`;
/** The cache of the commands that drive runs (bin/engine.js, RUN_COMMANDS). */
const runCacheName = `${process.version}-${process.arch}-run.bin`;

t.test("a repo's own prompt template runs under the bundle: Handlebars' compiler is loaded for it", async (t) => {
  const f = makeFixture({ script: { ...twoMilestones, plan: twoMilestones.plan.slice(0, 1) } });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  mkdirSync(path.join(f.repo, '.engine', 'templates'), { recursive: true });
  const shipped = readFileSync(path.join(root, 'templates', 'prompts', 'implement.md'), 'utf8');
  writeFileSync(path.join(f.repo, '.engine', 'templates', 'implement.md'), `${shipped}\nThe team's own line, for {{goal}}.\n`);
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'the goal', '--policy', f.policyFile, '--run-id', 'own', '--no-progress'], { cwd: f.dir });
  t.equal(r.code, 0, r.stderr);
  const calls = path.join(f.repo, '.engine', 'runs', 'own', 'calls');
  const prompts = Object.fromEntries(readdirSync(calls).map((c) => [c.replace(/^\d+-/, ''), readFileSync(path.join(calls, c, 'prompt.md'), 'utf8')]));
  t.match(prompts['implement-implementer'], /The team's own line, for the goal\./, 'the override compiled and rendered');
  t.notMatch(prompts['plan-planner'], /team's own line/, 'the other templates are the shipped ones');
});

/** A copy of the built package; node_modules links every package but the validator cache. */
function copyPackage(t: { teardown(fn: () => void): void }, o: { preserveTimestamps?: boolean } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-launcher-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const sub of ['bin', 'dist', 'schemas', 'pipelines', 'policies', 'templates']) cpSync(path.join(root, sub), path.join(dir, sub), { recursive: true, preserveTimestamps: o.preserveTimestamps ?? true });
  cpSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  rmSync(path.join(dir, 'dist', 'code-cache'), { recursive: true, force: true });
  mkdirSync(path.join(dir, 'node_modules'));
  for (const name of readdirSync(path.join(root, 'node_modules'))) {
    if (name !== '.cache') symlinkSync(path.join(root, 'node_modules', name), path.join(dir, 'node_modules', name));
  }
  const tmp = path.join(dir, 'tmp');
  mkdirSync(tmp);
  const run = (args: string[], env: NodeJS.ProcessEnv = {}, nodeFlags: string[] = []) => {
    const r = spawnSync('/usr/bin/env', [...bareNode, ...nodeFlags, path.join(dir, 'bin', 'engine.js'), ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: childEnv({ TMPDIR: tmp, ...env }),
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  return { dir, run, cacheDir: path.join(dir, 'dist', 'code-cache') };
}

type Run = ReturnType<typeof copyPackage>['run'];

/** What a command left in the copy's temp dir and its node_modules/.cache (where compiled validators were once kept). */
const leftBehind = (dir: string) => ['tmp', 'node_modules/.cache'].flatMap((sub) => (existsSync(path.join(dir, sub)) ? readdirSync(path.join(dir, sub), { recursive: true }).map((n) => `${sub}/${String(n)}`) : []));

t.test('the build makes the bundle, its vendor files and a code cache for this Node', async (t) => {
  t.ok(existsSync(path.join(root, 'dist', 'engine.cjs')), 'dist/engine.cjs');
  for (const name of ['xstate', 'handlebars-runtime', 'picomatch']) t.ok(existsSync(path.join(root, 'dist', 'vendor', `${name}.cjs`)), `dist/vendor/${name}.cjs`);
  t.notOk(existsSync(path.join(root, 'dist', 'vendor', 'handlebars.cjs')), "Handlebars' compiler is not bundled: the shipped templates are precompiled");
  t.ok(statSync(path.join(root, 'dist', 'code-cache', cacheName)).size > 0, `dist/code-cache/${cacheName}`);
  // Made by a whole run at build time: a run's own functions are in it (it is the larger).
  t.ok(statSync(path.join(root, 'dist', 'code-cache', runCacheName)).size > statSync(path.join(root, 'dist', 'code-cache', cacheName)).size, `dist/code-cache/${runCacheName}, larger`);
  // Any other byte would make V8 hold the whole source as two-byte text (docs/decisions/0005).
  for (const file of ['engine.cjs', 'import-module.cjs', 'vendor/xstate.cjs', 'vendor/handlebars-runtime.cjs', 'vendor/picomatch.cjs']) {
    t.notMatch(readFileSync(path.join(root, 'dist', file), 'latin1'), /[^\x00-\x7f]/, `dist/${file} is ASCII`);
  }
});

/**
 * Whether a fresh start would take the package's code cache: V8 rejects a cache made under
 * other flags, silently, and every start then compiles the bundle again. Requiring the
 * launcher sets its flags (as a start does) without running a command.
 */
function cacheAccepted(pkg: string, name = cacheName): { status: number | null; stdout: string; stderr: string } {
  const script = [
    `require(${JSON.stringify(path.join(pkg, 'bin', 'engine.js'))});`,
    "const vm = require('node:vm'); const fs = require('node:fs');",
    `const bundle = ${JSON.stringify(path.join(pkg, 'dist', 'engine.cjs'))};`,
    "const source = `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(bundle, 'latin1')}\\n})`;",
    `const cachedData = fs.readFileSync(${JSON.stringify(path.join(pkg, 'dist', 'code-cache', name))});`,
    'const s = new vm.Script(source, { filename: bundle, cachedData, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });',
    'process.stdout.write(String(!s.cachedDataRejected));',
  ].join('\n');
  return spawnSync('/usr/bin/env', [...bareNode, '-e', script], { encoding: 'utf8' });
}

t.test("the build's code caches are accepted under the launcher's own V8 flags", async (t) => {
  for (const name of [cacheName, runCacheName]) {
    const r = cacheAccepted(root, name);
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, 'true', `${name} is used`);
  }
});

t.test('a code cache written at the end of a run is accepted by the next start', async (t) => {
  // A run changes V8 flags as it goes (runtime/heap.ts), and V8 stamps a cache with the flags
  // in force when it is made: made after a run, the cache was rejected by every later start,
  // and never written again (a rejected cache is left alone).
  const { run, dir, cacheDir } = copyPackage(t);
  const f = makeFixture({ script: { ...twoMilestones, plan: twoMilestones.plan.slice(0, 1) } });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const r = run(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress']);
  t.equal(r.code, 0, r.err);
  t.same(readdirSync(cacheDir).filter((n) => !/-[0-9a-f]{16}\.bin$/.test(n)), [runCacheName], "the run wrote the runs' cache, not the other");
  const accepted = cacheAccepted(dir, runCacheName);
  t.equal(accepted.status, 0, accepted.stderr);
  t.equal(accepted.stdout, 'true', 'the next start uses it');
});

t.test('a first run writes the code cache; later runs use it and leave it alone', async (t) => {
  const { run, cacheDir } = copyPackage(t);
  const first = run(['validate', 'pipelines/default.pipeline.yaml', 'policies/default.policy.yaml']);
  t.equal(first.code, 0, first.err);
  t.match(first.out, /ok pipelines\/default.pipeline.yaml \(Pipeline\)\nok policies\/default.policy.yaml \(Policy\)/);
  const cache = readFileSync(path.join(cacheDir, cacheName));
  t.ok(cache.length > 0, 'cache written');
  t.same(readdirSync(cacheDir), [cacheName], 'no temp file left behind');
  const second = run(['validate', 'pipelines/default.pipeline.yaml', 'policies/default.policy.yaml']);
  t.same(second, first, 'same result with the cache');
  t.ok(readFileSync(path.join(cacheDir, cacheName)).equals(cache), 'cache not rewritten');
});

t.test("a run's vendor files go through code caches of their own, named by their text", async (t) => {
  const { dir, run, cacheDir } = copyPackage(t);
  const f = makeFixture({ script: { ...twoMilestones, plan: twoMilestones.plan.slice(0, 1) } });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const runOnce = (id: string) => run(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'the goal', '--policy', f.policyFile, '--run-id', id, '--no-progress']);
  const vendorCaches = () => readdirSync(cacheDir).filter((n) => n !== cacheName && n !== runCacheName).sort();
  const first = runOnce('first');
  t.equal(first.code, 0, first.err);
  const names = vendorCaches();
  t.same(names.map((n) => n.replace(/-[0-9a-f]{16}\.bin$/, '')), ['handlebars-runtime', 'picomatch', 'xstate'].map((v) => `${process.version}-${process.arch}-${v}`), 'one cache per vendor file, written by the first run');
  const bytes = names.map((n) => readFileSync(path.join(cacheDir, n)));
  const second = runOnce('second');
  t.equal(second.code, 0, second.err);
  t.same(vendorCaches(), names, 'no other cache written');
  t.ok(names.every((n, i) => readFileSync(path.join(cacheDir, n)).equals(bytes[i]!)), 'the caches are read, not rewritten');
  // A cache that is not one is rejected by V8; the file runs compiled as usual.
  writeFileSync(path.join(cacheDir, names.find((n) => n.includes('-xstate-'))!), 'not a code cache');
  const corrupt = runOnce('corrupt');
  t.equal(corrupt.code, 0, corrupt.err);
  // A vendor file changed, its length kept (V8 would take a cache made for any text of that length): a cache of its own.
  const xstate = path.join(dir, 'dist', 'vendor', 'xstate.cjs');
  writeFileSync(xstate, readFileSync(xstate, 'utf8').replace('var __defProp=', 'let __defProp='));
  const changed = runOnce('changed');
  t.equal(changed.code, 0, changed.err);
  t.equal(vendorCaches().filter((n) => n.includes('-xstate-')).length, 2, 'the changed file has a cache of its own');
});

t.test("a link planted at the cache's temp name is not written through", async (t) => {
  const { dir, cacheDir } = copyPackage(t);
  mkdirSync(cacheDir, { recursive: true });
  const victim = path.join(dir, 'user-file');
  writeFileSync(victim, 'the user file\n');
  // The launcher's pid is not known ahead: the next 2,000 a new process can get are planted.
  const from = Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
  for (let pid = from; pid < from + 2000; pid++) symlinkSync(victim, path.join(cacheDir, `${cacheName}.${pid}.tmp`));
  const r = spawnSync('/usr/bin/env', [...bareNode, path.join(dir, 'bin', 'engine.js'), 'validate', 'pipelines/default.pipeline.yaml'], { cwd: dir, encoding: 'utf8', env: childEnv({ TMPDIR: path.join(dir, 'tmp') }) });
  t.equal(r.status, 0, r.stderr);
  // (Unless the pids wrapped around in between, past the system's pid_max.)
  if (r.pid > from) t.ok(r.pid < from + 2000, `the launcher's pid (${r.pid}) was among the planted names`);
  t.equal(readFileSync(victim, 'utf8'), 'the user file\n', 'the linked file is untouched');
});

t.test('a corrupt code cache is rejected by V8 and the command still runs', async (t) => {
  const { run, cacheDir } = copyPackage(t);
  mkdirSync(cacheDir);
  writeFileSync(path.join(cacheDir, cacheName), 'not a code cache');
  const r = run(['validate', 'pipelines/default.pipeline.yaml']);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /ok pipelines\/default.pipeline.yaml/);
});

t.test('the bundle, the bundle as a module (--enable-source-maps) and the ES modules answer alike', async (t) => {
  const { dir, run } = copyPackage(t);
  const broken = path.join(dir, 'broken.pipeline.yaml');
  writeFileSync(broken, 'apiVersion: engine/v1\nkind: Pipeline\nname: x\nstepz: []\n');
  const ways: [string, (args: string[]) => ReturnType<Run>][] = [
    ['ES modules', (args) => run(args, { ENGINE_NO_BUNDLE: '1' })],
    ['--enable-source-maps', (args) => run(args, {}, ['--enable-source-maps'])],
  ];
  for (const args of [['--help'], ['validate', '--help'], ['validate', broken], ['policy', '--json'], ['nope']]) {
    const bundled = run(args);
    for (const [way, other] of ways) t.same(other(args), bundled, `engine ${args.join(' ')}: ${way}`);
  }
  const bad = run(['validate', broken]);
  t.equal(bad.code, 2);
  t.match(bad.err, /broken.pipeline.yaml:4:1: error E_UNKNOWN_KEY/);
});

t.test('the bundle is read as the ASCII the build makes it; a bundle edited to hold other characters still reads as UTF-8', async (t) => {
  const { dir, run } = copyPackage(t);
  const bundle = path.join(dir, 'dist', 'engine.cjs');
  t.notMatch(readFileSync(bundle, 'latin1'), /[^\x00-\x7f]/, 'the build made it ASCII');
  // A hand edit: the CLI's answer to --version given a non-ASCII text (its length changes, so V8 rejects the cache).
  writeFileSync(bundle, `${readFileSync(bundle, 'utf8')}\nmodule.exports = { runCli: async () => { process.stdout.write('vérsion ✓\\n'); return 0; } };\n`);
  const r = run(['--version']);
  t.equal(r.code, 0, r.err);
  t.equal(r.out, 'v\u00e9rsion \u2713\n', 'decoded as UTF-8, not Latin-1');
});

t.test('without the bundle (a plain tsc build) the ES modules run', async (t) => {
  const { dir, run, cacheDir } = copyPackage(t);
  rmSync(path.join(dir, 'dist', 'engine.cjs'));
  const r = run(['validate', 'pipelines/default.pipeline.yaml']);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /ok pipelines\/default.pipeline.yaml/);
  t.notOk(existsSync(cacheDir), 'no code cache without a bundle');
});

t.test('a copy made the way npm installs (every file a new mtime) runs the bundle', async (t) => {
  const { dir, run, cacheDir } = copyPackage(t, { preserveTimestamps: false });
  // npm writes files in no set order: the modules may well be newer than the bundle.
  const later = new Date(Date.now() + 60_000);
  utimesSync(path.join(dir, 'dist', 'engine', 'cli', 'main.js'), later, later);
  const earlier = new Date(Date.now() - 3_600_000);
  utimesSync(path.join(dir, 'dist', 'engine.cjs'), earlier, earlier);
  const r = run(['validate', 'pipelines/default.pipeline.yaml']);
  t.equal(r.code, 0, r.err);
  t.same(readdirSync(cacheDir), [cacheName], 'the bundle ran: it wrote its code cache');
});

t.test('after a bare tsc since the build (other build info) the modules run, whatever the mtimes', async (t) => {
  const { dir, run, cacheDir } = copyPackage(t);
  const info = path.join(dir, 'dist', '.tsbuildinfo');
  writeFileSync(info, `${readFileSync(info, 'utf8')} `);
  const earlier = new Date(Date.now() - 3_600_000);
  utimesSync(info, earlier, earlier);
  utimesSync(path.join(dir, 'dist', 'engine', 'cli', 'main.js'), earlier, earlier);
  const r = run(['validate', 'pipelines/default.pipeline.yaml']);
  t.equal(r.code, 0, r.err);
  t.notOk(existsSync(cacheDir), 'the modules ran: no code cache was written for the stale bundle');
});

t.test('a missing or garbled stamp runs the modules', async (t) => {
  const { dir, run, cacheDir } = copyPackage(t);
  writeFileSync(path.join(dir, 'dist', 'engine.cjs.stamp'), 'not a hash\n');
  const r = run(['validate', 'pipelines/default.pipeline.yaml']);
  t.equal(r.code, 0, r.err);
  t.notOk(existsSync(cacheDir), 'no code cache: the bundle was not used');
  rmSync(path.join(dir, 'dist', 'engine.cjs.stamp'));
  t.equal(run(['validate', 'pipelines/default.pipeline.yaml']).code, 0);
  t.notOk(existsSync(cacheDir), 'still the modules');
});

t.test('a user plugin module loads under the bundle restored from its code cache', async (t) => {
  const { dir, run, cacheDir } = copyPackage(t, { preserveTimestamps: false });
  const repo = path.join(dir, 'repo');
  mkdirSync(repo);
  spawnSync('git', ['init', '-q', repo]);
  // A plain ES module plugin whose CLI is `node` itself.
  writeFileSync(
    path.join(repo, 'my-worker.mjs'),
    [
      'export default {',
      "  name: 'mine', contract: 1,",
      "  detectVersion: async () => '1.2.3',",
      '  resolveBin: () => process.execPath,',
      "  invoke: (ctx) => ({ bin: process.execPath, args: ['-e', ''], env: ctx.baseEnv, cwd: ctx.cwd, stdin: 'closed' }),",
      "  createParser: () => ({ line: () => [], end: () => ({ outcome: 'ok', finalText: '', sessionId: null, dialect: 'mine', usage: null, costUsd: null, unknownEventTypes: {}, error: null }) }),",
      '};',
      '',
    ].join('\n'),
  );
  const pipeline = readFileSync(path.join(dir, 'pipelines', 'default.pipeline.yaml'), 'utf8').replace(/use: (codex|claude)\b/g, 'use: ./my-worker.mjs');
  writeFileSync(path.join(repo, 'p.yaml'), pipeline);
  const doctor = () => run(['doctor', path.join(repo, 'p.yaml'), '--repo', repo, '--json']);
  const first = doctor();
  t.ok(existsSync(path.join(cacheDir, cacheName)), 'the bundle ran and wrote its code cache');
  const second = doctor();
  for (const [when, r] of [['without', first], ['with', second]] as const) {
    const report = JSON.parse(r.out) as { checks: { id: string; status: string; message: string }[] };
    const workers = report.checks.filter((c) => c.id.startsWith('worker.'));
    t.ok(workers.length > 0, `${when} the code cache: workers were checked`);
    for (const c of workers) t.match(c, { status: 'ok', message: /plugin module with its own parser, .* 1\.2\.3$/ }, `${when} the code cache: ${c.id}`);
  }
});

t.test('the shipped schemas are validated with the build\'s validators; a changed schema is compiled in the process', async (t) => {
  const { dir, run } = copyPackage(t);
  const r = run(['validate', 'pipelines/default.pipeline.yaml', 'policies/default.policy.yaml']);
  t.equal(r.code, 0, r.err);
  t.same(leftBehind(dir), [], 'nothing written: the bundle carries them');

  // A schema edited after the build has another key: it is compiled, it rules, and its compiled
  // code is kept nowhere (test/isolation/planted-validators.test.ts: none is ever read back).
  const schemaFile = path.join(dir, 'schemas', 'pipeline.schema.json');
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
  schema.properties.name.maxLength = 3;
  writeFileSync(schemaFile, JSON.stringify(schema, null, 2));
  for (const env of [{}, { ENGINE_NO_BUNDLE: '1' }]) {
    const edited = run(['validate', 'pipelines/default.pipeline.yaml'], env);
    t.equal(edited.code, 2, 'the edited schema rejects the long name');
    t.match(edited.err, /default.pipeline.yaml:\d+:\d+: error E_SCHEMA .*name.* must NOT have more than 3 characters/);
  }
  t.same(leftBehind(dir), [], 'nothing written');
});

t.test("the shipped config files are read from the build's parses; an edited one is parsed", async (t) => {
  const { dir, run } = copyPackage(t);
  const policyFile = path.join(dir, 'policies', 'default.policy.yaml');
  const text = readFileSync(policyFile, 'utf8');
  const tableFile = path.join(dir, 'dist', 'known-parses.json');
  const table = JSON.parse(readFileSync(tableFile, 'utf8')) as Record<string, { json: string }>;
  const key = createHash('sha256').update(text).digest('hex');
  t.ok(table[key], 'the default policy is in the table');
  t.ok(Object.keys(table).length > 40, `${Object.keys(table).length} shipped files known`);
  // A table that says otherwise shows it is what the bundle reads.
  const data = JSON.parse(table[key]!.json);
  data.budgets.max_ticks = 4321;
  table[key]!.json = JSON.stringify(data);
  writeFileSync(tableFile, JSON.stringify(table));
  const known = run(['policy', '--explain']);
  t.equal(known.code, 0, known.err);
  t.match(known.out, /budgets\.max_ticks = 4321 +# \S+default\.policy\.yaml:\d+:\d+/);
  writeFileSync(policyFile, `${text}# edited\n`);
  const edited = run(['policy', '--explain']);
  t.equal(edited.code, 0, edited.err);
  t.match(edited.out, /budgets\.max_ticks = 200 +# \S+default\.policy\.yaml:53:14/);
});

t.test('on Windows the launcher stops at once with a clear message (exit 4)', async (t) => {
  const { dir, run } = copyPackage(t);
  // A real process whose platform reads win32, as Node on Windows would report it.
  const preload = path.join(dir, 'as-windows.cjs');
  writeFileSync(preload, "Object.defineProperty(process, 'platform', { value: 'win32' });\n");
  const r = run(['validate', 'pipelines/default.pipeline.yaml'], {}, ['--require', preload]);
  t.equal(r.code, 4);
  t.equal(r.out, '');
  t.equal(r.err, 'engine: Windows is not supported: the engine needs POSIX processes and signals to run and stop workers; use WSL or a Linux or macOS machine\n');
});

t.test('the launcher ends the process only once nothing is left to do: output whole, pending work done, exit code kept', async (t) => {
  const { dir, run } = copyPackage(t);
  // Work the command's process still has when the command is done (a timer, then a write),
  // as an unawaited write of the engine's would be: it runs before the process ends.
  const marker = path.join(dir, 'late-work.txt');
  const preload = path.join(dir, 'late-work.cjs');
  writeFileSync(preload, `setTimeout(() => require('node:fs').writeFile(${JSON.stringify(marker)}, 'done', () => {}), 400);\n`);
  const late = run(['validate', 'pipelines/default.pipeline.yaml'], {}, ['--require', preload]);
  t.equal(late.code, 0, late.err);
  t.equal(existsSync(marker) ? readFileSync(marker, 'utf8') : null, 'done', 'the work left after the command ran to its end');
  const bad = run(['validate', path.join(dir, 'no-such.pipeline.yaml')], {}, ['--require', preload]);
  t.equal(bad.code, 2, "bad input keeps its exit code (the command's, not the exit's default)");
  t.match(bad.err, /E_FILE/);

  // More output than a pipe holds (the event schema, 67 KB), into a pipe whose reader waits first.
  const engineCmd = ['/usr/bin/env', ...bareNode, path.join(dir, 'bin', 'engine.js'), 'schema', 'event'].map((w) => `'${w}'`).join(' ');
  const piped = spawnSync('/bin/sh', ['-c', `{ ${engineCmd}; echo "engine exit $?" >&2; } | { sleep 0.5; cat; }`], { cwd: dir, env: childEnv({ TMPDIR: path.join(dir, 'tmp') }), maxBuffer: 1 << 20 });
  t.ok(piped.stdout.equals(readFileSync(path.join(root, 'schemas', 'event.schema.json'))), 'the whole schema arrived, byte for byte');
  t.match(piped.stderr.toString(), /^engine exit 0$/m);
});
