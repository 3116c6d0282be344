// test cost: about 18 s: a copy of the built package, a run, then report, validate and replay through the bundle and the ES modules; validate and doctor beside a planted ajv.
import t from 'tap';
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { copyBuiltPackage } from '../helpers/copy-package.js';
import { bareNode, childEnv, makeFixture, readJsonl, twoMilestones } from '../helpers/run-fixture.js';

// Contract §5: a worker must not make the engine run a command it planted. Without the OS
// sandbox (`sandbox.mode: off`, or `auto` where bubblewrap is missing, as on macOS) a worker
// writes whatever its user can: the temp dir, the package's node_modules. Compiled schema
// validators are code the engine loads; one planted where the engine looks for them, under
// the name the engine computes for a shipped schema, would run in the engine's process, with
// the user's whole environment, at the next `report`, `validate` or replay. Each planted file
// below writes a proof when it is loaded; the proof must never appear.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A copy of the built package and a temp dir of its own. */
function copyPackage(t: { teardown(fn: () => void): void }) {
  const dir = copyBuiltPackage(t, 'engine-planted-validators-');
  const tmp = path.join(dir, 'tmp');
  mkdirSync(tmp);
  return { dir, tmp };
}

/** Every shipped schema's validator cache key, as the engine computes it. */
async function shippedKeys(): Promise<string[]> {
  const { precompileShippedValidators } = (await import(pathToFileURL(path.join(root, 'dist', 'engine', 'config', 'validators.js')).href)) as typeof import('../../engine/config/validators.js');
  const { listSchemaNames } = (await import(pathToFileURL(path.join(root, 'dist', 'engine', 'config', 'schema-files.js')).href)) as typeof import('../../engine/config/schema-files.js');
  return (await precompileShippedValidators(await listSchemaNames())).map((v) => v.key);
}

t.test('validators planted where the engine once cached them are never loaded', async (t) => {
  const { dir, tmp } = copyPackage(t);
  const proof = path.join(dir, 'PLANTED-CODE-RAN');
  // Loaded, it leaves its proof and ends the engine at once (exit 99), so nothing it would
  // have let through (a recording of nothing) runs on.
  const payload = `require('node:fs').appendFileSync(${JSON.stringify(proof)}, __filename + '\\n');\nprocess.exit(99);\n`;
  const keys = await shippedKeys();
  t.ok(keys.length >= 10, `a key for each shipped schema (${keys.length})`);
  const places = [path.join(dir, 'node_modules', '.cache', 'engine', 'validators'), path.join(tmp, `engine-validators-${os.userInfo().uid}`)];
  for (const place of places) {
    mkdirSync(place, { recursive: true });
    for (const key of keys) writeFileSync(path.join(place, `${key}.cjs`), payload);
  }

  const f = makeFixture({ script: { ...twoMilestones, plan: twoMilestones.plan.slice(0, 1) }, policy: { sandbox: { mode: 'off' } } });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync('/usr/bin/env', [...bareNode, path.join(dir, 'bin', 'engine.js'), ...args], { cwd: f.dir, encoding: 'utf8', env: childEnv({ TMPDIR: tmp, ENGINE_CACHE_DIR: undefined, ...env }) });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const store = path.join(f.repo, '.engine', 'runs');
  const recording = path.join(f.dir, 'bad-recording.jsonl');
  writeFileSync(recording, '{"type":"recording","schema_version":1}\n{"type":"exchange"}\n');
  const ways: [string, NodeJS.ProcessEnv][] = [
    ['the bundle', {}],
    ['the ES modules (ENGINE_NO_BUNDLE=1)', { ENGINE_NO_BUNDLE: '1' }],
  ];
  for (const [way, env] of ways) {
    const id = `run-${env.ENGINE_NO_BUNDLE ? 'modules' : 'bundle'}`;
    const r = run(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'the goal', '--policy', f.policyFile, '--run-id', id, '--no-progress'], env);
    t.equal(r.code, 0, `${way}: the run completes\n${r.err}`);
    // Without its index the report reads every timeline, checking each event against the event schema.
    rmSync(path.join(store, 'index.jsonl'), { force: true });
    const report = run(['report', '--all', '--repo', f.repo], env);
    t.equal(report.code, 0, `${way}: report --all\n${report.err}`);
    t.match(report.out, new RegExp(`${id}\\s+completed`));
    const validate = run(['validate', f.pipelineFile, f.policyFile], env);
    t.equal(validate.code, 0, `${way}: validate\n${validate.err}`);
    // The CLI workers' traffic from a recording: every line is checked against its schema first.
    const replay = run(['run', path.join(dir, 'pipelines', 'default.pipeline.yaml'), '--repo', f.repo, '--goal', 'the goal', '--replay', recording, '--no-progress'], env);
    t.equal(replay.code, 2, `${way}: a malformed recording is refused\n${replay.err}`);
    t.match(replay.err, /not a recording line/);
    t.notOk(existsSync(proof), `${way}: no planted validator ran`);
  }
});

/**
 * The copy's ajv made a real directory (not the link to the checkout's) with its version
 * bumped and a payload in its entry, as a worker without the OS sandbox could leave it: the
 * files to write, by path, for a worker's `writes` or to write now.
 */
function plantedAjv(pkg: string, proof: string): Record<string, string> {
  const ajvDir = path.join(pkg, 'node_modules', 'ajv');
  const real = realpathSync(ajvDir);
  rmSync(ajvDir);
  cpSync(real, ajvDir, { recursive: true });
  const manifest = JSON.parse(readFileSync(path.join(ajvDir, 'package.json'), 'utf8')) as { version: string };
  const entry = path.join(ajvDir, 'dist', 'ajv.js');
  return {
    [path.join(ajvDir, 'package.json')]: JSON.stringify({ ...manifest, version: `${manifest.version}-planted` }),
    [entry]: `require('node:fs').appendFileSync(${JSON.stringify(proof)}, __filename + '\\n');\n${readFileSync(entry, 'utf8')}`,
  };
}

t.test("a bumped ajv with a payload in the install's node_modules runs in no command", async (t) => {
  const { dir } = copyPackage(t);
  const proof = path.join(dir, 'PLANTED-AJV-RAN');
  for (const [file, text] of Object.entries(plantedAjv(dir, proof))) writeFileSync(file, text);
  const f = makeFixture({ policy: { sandbox: { mode: 'off' } } });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const ways: [string, NodeJS.ProcessEnv][] = [
    ['the bundle', {}],
    ['the ES modules (ENGINE_NO_BUNDLE=1)', { ENGINE_NO_BUNDLE: '1' }],
  ];
  for (const [way, env] of ways) {
    const engine = (args: string[]) => spawnSync('/usr/bin/env', [...bareNode, path.join(dir, 'bin', 'engine.js'), ...args], { cwd: f.dir, encoding: 'utf8', env: childEnv(env) });
    const validate = engine(['validate', f.pipelineFile, f.policyFile]);
    t.equal(validate.status, 0, `${way}: validate\n${validate.stderr}`);
    engine(['doctor', f.pipelineFile, '--repo', f.repo, '--policy', f.policyFile]);
    t.notOk(existsSync(proof), `${way}: nothing of the planted ajv ran`);
  }
});

t.test("a worker that bumps ajv in the engine's node_modules and plants code in it stops the run", async (t) => {
  const { dir } = copyPackage(t);
  const proof = path.join(dir, 'PLANTED-AJV-RAN');
  const f = makeFixture({ script: { ...twoMilestones, writes: { 'implement#1#1': plantedAjv(dir, proof) } }, policy: { sandbox: { mode: 'off' } } });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const engine = (args: string[]) => spawnSync('/usr/bin/env', [...bareNode, path.join(dir, 'bin', 'engine.js'), ...args], { cwd: f.dir, encoding: 'utf8', env: childEnv() });
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'the goal', '--policy', f.policyFile, '--run-id', 'planted-ajv', '--no-progress']);
  t.equal(r.status, 3, `the run stops on the change to the engine's dependency\n${r.stderr.slice(-3000)}`);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'planted-ajv', 'timeline.jsonl'));
  const violation = events.find((e) => e.type === 'governance.violation');
  t.match(violation?.violations, [{ rule: 'engine_install', path: /\/node_modules\/ajv\/dist\/ajv\.js$/ }, { rule: 'engine_install', path: /\/node_modules\/ajv\/package\.json$/ }], 'both planted files named');
  const validate = engine(['validate', f.pipelineFile, f.policyFile]);
  t.equal(validate.status, 0, validate.stderr);
  t.notOk(existsSync(proof), 'nothing of the planted ajv ran, during the run or after it');
});
