// test cost: about 10 s: a worker plugin, packed and run (scripts/group-tests.mjs starts the long files first).
// test kind: end-to-end (npm run test:e2e): a copy of the engine built with a new worker, and a real run through it.
import t from 'tap';
import { appendFileSync, chmodSync, existsSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { childEnv, engine, makeFixture, readJsonl } from '../helpers/run-fixture.js';

// The acceptance of a worker plugin that carries its own facts: a new built-in worker is its
// plugin file and one line in engine/workers/registry.ts, nothing else. In a copy of the
// engine, this test drops in test/fixtures/workers/drop-in/echo-cli-worker.ts.txt as it is,
// adds the one registry line, runs the schema generation and builds; then the copy's doctor
// judges the CLI's version (verified, newer, out of range, missing) and its login from the
// plugin's facts, its validate accepts `use: echo-cli`, and a real run drives the worker
// through both milestones. The engine without that line rejects `use: echo-cli`.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dropIn = path.join(root, 'test', 'fixtures', 'workers', 'drop-in', 'echo-cli-worker.ts.txt');
const agent = path.join(root, 'test', 'fixtures', 'workers', 'scripted-agent.cjs');
const REGISTRY_LINE = "export { echoCliWorker } from './echo-cli-worker.js';\n";

const work = mkdtempSync(path.join(os.tmpdir(), 'engine-add-worker-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const copy = path.join(work, 'engine-copy');

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The sources of the engine, as a fresh clone would have them, in a git repo of their own. */
function copyEngine(): void {
  mkdirSync(copy);
  for (const name of ['engine', 'schemas', 'scripts', 'bin', 'pipelines', 'policies', 'templates', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
    cpSync(path.join(root, name), path.join(copy, name), { recursive: true });
  }
  symlinkSync(realpathSync(path.join(root, 'node_modules')), path.join(copy, 'node_modules'));
  writeFileSync(path.join(copy, '.gitignore'), '/node_modules\n/dist/\n');
  const git = (...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], copy);
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'engine as it is');
}

/** The copy's dist/: every module transpiled (the launcher runs them when there is no bundle). */
async function buildCopy(): Promise<void> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) files.push(p);
    }
  };
  walk(path.join(copy, 'engine'));
  await build({ entryPoints: files, outdir: path.join(copy, 'dist', 'engine'), outbase: path.join(copy, 'engine'), platform: 'node', format: 'esm', target: 'node20', logLevel: 'error' });
}

/** The copied engine's CLI, as a user runs it. */
function copied(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [path.join(copy, 'bin', 'engine.js'), ...args], { cwd, env: childEnv(env), encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lineOf = (stdout: string, id: string): string => stdout.split('\n').find((l) => l.split(/\s+/)[1] === id) ?? `(no ${id} line in:\n${stdout})`;

/** A repo and a pipeline whose three workers all use echo-cli; the fake CLI in its own dir. */
function echoFixture(t: { teardown(fn: () => void): void }) {
  const f = makeFixture({
    pipeline: (p) => {
      for (const name of Object.keys(p.workers)) p.workers[name] = { use: 'echo-cli', env: p.workers[name].env, idle_timeout_s: 20, timeout_s: 60 };
    },
  });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const binDir = path.join(f.dir, 'cli-bin');
  mkdirSync(binDir);
  const cli = path.join(binDir, 'echo-cli');
  // Installed like a real CLI: everything it runs lives in its own directory, which the OS
  // sandbox keeps readable (a checkout under /tmp would be hidden by the sandbox's private /tmp).
  // The agent's answers module goes with it, under the name the agent requires it by.
  const ownAgent = path.join(binDir, 'echo-cli-agent.cjs');
  copyFileSync(agent, ownAgent);
  copyFileSync(path.join(path.dirname(agent), 'agent-answers.cjs'), path.join(binDir, 'agent-answers.cjs'));
  // `--version` prints ECHO_CLI_FAKE_VERSION (default the verified one); else it is the scripted agent.
  writeFileSync(cli, `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "echo-cli \${ECHO_CLI_FAKE_VERSION:-1.4.2}"; exit 0; fi\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(ownAgent)}\n`);
  chmodSync(cli, 0o755);
  const home = path.join(f.dir, 'home');
  mkdirSync(home);
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PATH: `${binDir}:${process.env.PATH}`, HOME: home, ECHO_CLI_KEY: '', ECHO_CLI_HOME: '', ...extra });
  return { ...f, home, env };
}

t.before(async () => {
  copyEngine();
  writeFileSync(path.join(copy, 'engine', 'workers', 'echo-cli-worker.ts'), readFileSync(dropIn));
  appendFileSync(path.join(copy, 'engine', 'workers', 'registry.ts'), REGISTRY_LINE);
  run(process.execPath, ['scripts/generate-types.mjs'], copy);
  await buildCopy();
});

t.test('the plugin file and one registry line are all that was written by hand', async (t) => {
  const status = run('git', ['status', '--porcelain', '--untracked-files=all'], copy).split('\n').filter(Boolean).sort();
  t.same(status, [' M engine/workers/registry.ts', ' M schemas/pipeline.schema.json', '?? engine/workers/echo-cli-worker.ts'], 'besides the two, only the list of built-ins `npm run gen` writes into the schema');
  t.equal(run('git', ['diff', '--numstat', 'engine/workers/registry.ts'], copy).trim(), '1\t0\tengine/workers/registry.ts', 'one line added to the registry');
  const schema = JSON.parse(readFileSync(path.join(copy, 'schemas', 'pipeline.schema.json'), 'utf8'));
  const builtin = schema.definitions.worker.properties.use.anyOf[0];
  t.same(builtin.enum, ['claude', 'codex', 'command', 'echo-cli', 'replay'], "the schema's built-ins come from the registry");
  t.match(builtin.description, /echo-cli drives the echo-cli test CLI/, 'with the summary the plugin carries');
  const check = spawnSync(process.execPath, ['scripts/generate-types.mjs', '--check'], { cwd: copy, encoding: 'utf8', env: childEnv() });
  t.equal(check.status, 0, `gen:check is clean in the copy: ${check.stderr}`);
  // The plugin and everything the registry reaches type-check under the project's settings.
  const tsc = spawnSync(process.execPath, [path.join(copy, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--noUnusedLocals', '--noUnusedParameters', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--types', 'node', '--skipLibCheck', 'engine/workers/builtin-workers.ts'], { cwd: copy, encoding: 'utf8' });
  t.equal(tsc.status, 0, `tsc: ${tsc.stdout}${tsc.stderr}`);
});

t.test('the registry line is what makes the name: the engine without it rejects use: echo-cli', async (t) => {
  const f = echoFixture(t);
  const without = engine(['validate', f.pipelineFile], { cwd: f.dir, env: f.env() });
  t.equal(without.code, 2, without.stdout + without.stderr);
  t.match(without.stdout + without.stderr, /E_SCHEMA|use/);
  const withIt = copied(['validate', f.pipelineFile], f.dir, f.env());
  t.equal(withIt.code, 0, withIt.stdout + withIt.stderr);
});

t.test("doctor judges echo-cli's version with the ranges its plugin carries", async (t) => {
  const f = echoFixture(t);
  const doctor = (extra: NodeJS.ProcessEnv) => copied(['doctor', f.pipelineFile, '--repo', f.repo], f.dir, f.env({ ECHO_CLI_KEY: 'k', ...extra }));
  const verified = doctor({});
  t.equal(verified.code, 0, verified.stdout + verified.stderr);
  t.match(lineOf(verified.stdout, 'worker.planner'), /^ok +worker\.planner +worker planner \(echo-cli\): echo-cli 1\.4\.2, dialect echo-cli-text \(verified\) at .*cli-bin\/echo-cli$/);

  const newer = doctor({ ECHO_CLI_FAKE_VERSION: '1.9.0' });
  t.equal(newer.code, 0, 'newer than verified but in range: a warning');
  t.match(lineOf(newer.stdout, 'worker.implementer'), /^warn +worker\.implementer .*echo-cli 1\.9\.0 is newer than the newest verified 1\.4\.2; its output should be echo-cli-text/);

  for (const version of ['2.0.0', '0.9.9']) {
    const drift = doctor({ ECHO_CLI_FAKE_VERSION: version });
    t.equal(drift.code, 4, `${version}: ${drift.stdout}`);
    t.match(lineOf(drift.stdout, 'worker.reviewer'), new RegExp(`^block +worker\\.reviewer .*echo-cli ${version.replace(/\./g, '\\.')} is outside the versions whose output the engine can parse \\(1\\.0\\.0 to below 2\\.0\\.0: echo-cli-text\\): worker contract drift .*npm i -D echo-cli@1\\.4\\.2`));
  }

  const missing = copied(['doctor', f.pipelineFile, '--repo', f.repo], f.dir, { ...f.env({ ECHO_CLI_KEY: 'k' }), PATH: process.env.PATH });
  t.equal(missing.code, 4, missing.stdout);
  t.match(lineOf(missing.stdout, 'worker.planner'), /^block +worker\.planner +worker planner \(echo-cli\): the echo-cli CLI is not installed .*\(hint: run `npm i -D echo-cli@1\.4\.2` in your project \(or `npm i -g echo-cli@1\.4\.2`\)/);
});

t.test("doctor checks echo-cli's login where its plugin says it is kept", async (t) => {
  const f = echoFixture(t);
  const doctor = (extra: NodeJS.ProcessEnv) => copied(['doctor', f.pipelineFile, '--repo', f.repo], f.dir, f.env(extra));
  const none = doctor({});
  t.equal(none.code, 0, 'a missing login warns in the doctor');
  t.match(lineOf(none.stdout, 'login.echo-cli'), `warn   login.echo-cli      echo-cli (workers implementer, planner, reviewer): not logged in: no ${f.home}/.echo-cli/token and no ECHO_CLI_KEY in the environment (hint: run \`echo-cli login\`, or set ECHO_CLI_KEY)`);
  t.notMatch(none.stdout, /login\.(claude|codex)/, 'no claude or codex worker: no login of theirs is asked for');

  const byKey = doctor({ ECHO_CLI_KEY: 'secret' });
  t.match(lineOf(byKey.stdout, 'login.echo-cli'), /^ok +login\.echo-cli +echo-cli \(workers implementer, planner, reviewer\): ECHO_CLI_KEY set$/);

  mkdirSync(path.join(f.home, '.echo-cli'));
  writeFileSync(path.join(f.home, '.echo-cli', 'token'), 't');
  const byFile = doctor({});
  t.match(lineOf(byFile.stdout, 'login.echo-cli'), `ok     login.echo-cli      echo-cli (workers implementer, planner, reviewer): logged in (${f.home}/.echo-cli/token)`);
  const moved = doctor({ ECHO_CLI_HOME: path.join(f.dir, 'elsewhere') });
  t.match(lineOf(moved.stdout, 'login.echo-cli'), /^warn +login\.echo-cli .*no .*elsewhere\/token/, 'ECHO_CLI_HOME moves the credential file');
});

t.test('a run drives echo-cli: blocked without its login, through both milestones with it', async (t) => {
  const f = echoFixture(t);
  const runArgs = (id: string) => ['run', f.pipelineFile, '--repo', f.repo, '--policy', f.policyFile, '--goal', 'write a and b', '--run-id', id, '--no-progress'];

  const blocked = copied(runArgs('nologin'), f.dir, f.env());
  t.equal(blocked.code, 4, blocked.stdout + blocked.stderr);
  const blockedState = JSON.parse(readFileSync(path.join(f.repo, '.engine', 'runs', 'nologin', 'state.json'), 'utf8'));
  t.match(blockedState, { status: 'stopped', stop_reason: 'doctor_blocked', stop_detail: /^login\.echo-cli: echo-cli \(workers implementer, planner, reviewer\): not logged in/ });
  t.equal(blockedState.counters.worker_calls, 0, 'no worker was called');
  // The scripted model stands in for the plugins that take an endpoint (claude, codex), not for
  // this one: a --scenario no worker would be served is refused, nothing made.
  const scripted = copied([...runArgs('scripted'), '--scenario', path.join(root, 'test', 'fixtures', 'scenarios', 'pipeline.scenario.yaml')], f.dir, f.env());
  t.equal(scripted.code, 2, scripted.stdout + scripted.stderr);
  t.match(scripted.stderr, /--scenario: error E_USAGE no worker of the pipeline takes the scripted model \(only claude and codex workers do; planner, implementer, reviewer use echo-cli\)/);
  t.notOk(existsSync(path.join(f.repo, '.engine', 'runs', 'scripted')), 'no run was made');

  const ok = copied(runArgs('echo'), f.dir, f.env({ ECHO_CLI_KEY: 'k' }));
  t.equal(ok.code, 0, ok.stdout + ok.stderr);
  const runDir = path.join(f.repo, '.engine', 'runs', 'echo');
  const state = JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8'));
  t.match(state, { status: 'completed' });
  const env = JSON.parse(readFileSync(path.join(runDir, 'env.json'), 'utf8'));
  t.same(env.workers.implementer, { plugin: 'echo-cli', bin: 'echo-cli', version: '1.4.2' }, 'env.json records the CLI the plugin found');
  const calls = readdirSync(path.join(runDir, 'calls')).sort();
  t.ok(calls.length >= 4, `plan, two implements and reviews: ${calls.join(', ')}`);
  for (const c of calls) {
    const meta = JSON.parse(readFileSync(path.join(runDir, 'calls', c, 'meta.json'), 'utf8'));
    t.match(meta, { dialect: 'echo-cli-text', cli_version: '1.4.2', outcome: 'ok' }, `${c} was read by the plugin's own parser`);
  }
  const events = readJsonl(path.join(runDir, 'timeline.jsonl'));
  t.same(events.filter((e) => e.type === 'milestone.finished').map((e) => e.id), ['m1', 'm2'], 'both milestones finished');
});
