// test cost: about 6 s: a copy of the built package, one run without the OS sandbox, two commands after it.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import vm from 'node:vm';
import { copyBuiltPackage } from '../helpers/copy-package.js';
import { bareNode, childEnv, makeFixture, readJsonl, twoMilestones } from '../helpers/run-fixture.js';

// Contract §5: a worker must not make the engine run a command it planted. The launcher
// compiles the bundle and its vendor files through V8 code caches in dist/code-cache/, and V8
// checks a cache only against the length of its source: a cache made from another text of the
// same length, with a payload, runs the payload at the engine's next start. Without the OS
// sandbox a worker can write there. The engine must see the change after the step (the
// install's check), stop, and leave no planted cache for the next command to run.
const version = `${process.version}-${process.arch}`;


/**
 * A V8 code cache for `file` as the launcher compiles it, made from a text of the same length
 * whose first line is a payload writing `<dist>/../PWNED` (what an attacker can make with node alone).
 */
function craftCache(file: string): Buffer {
  const source = readFileSync(file, 'utf8');
  const firstLine = source.indexOf('\n');
  const payload = "require('fs').writeFileSync(__dirname+'/../PWNED','x');";
  t.ok(payload.length <= firstLine, 'the payload fits in the first line');
  const evil = payload + ' '.repeat(firstLine - payload.length) + source.slice(firstLine);
  return new vm.Script(`(function (exports, require, module, __filename, __dirname) {${evil}\n})`, { filename: file }).createCachedData();
}

t.test("a code cache planted in the engine's install stops the run and is removed before anything runs it", async (t) => {
  const pkg = copyBuiltPackage(t, 'engine-planted-cache-');
  const proof = path.join(pkg, 'PWNED');
  const bundleCache = path.join(pkg, 'dist', 'code-cache', `${version}.bin`);
  t.ok(existsSync(bundleCache), 'the build made the bundle its cache');
  const xstateCache = readdirSync(path.join(pkg, 'dist', 'code-cache')).find((n) => n.startsWith(`${version}-xstate-`));
  t.ok(xstateCache, 'the build made the vendor files their caches');
  const planted = {
    [bundleCache]: `base64:${craftCache(path.join(pkg, 'dist', 'engine.cjs')).toString('base64')}`,
    [path.join(pkg, 'dist', 'code-cache', xstateCache!)]: `base64:${craftCache(path.join(pkg, 'dist', 'vendor', 'xstate.cjs')).toString('base64')}`,
  };
  const f = makeFixture({ script: { ...twoMilestones, writes: { 'implement#1#1': planted } }, policy: { sandbox: { mode: 'off' } } });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const engine = (args: string[]) => {
    const r = spawnSync('/usr/bin/env', [...bareNode, path.join(pkg, 'bin', 'engine.js'), ...args], { cwd: f.dir, encoding: 'utf8', env: childEnv() });
    return { code: r.status, out: r.stdout, err: r.stderr.slice(-3000) };
  };
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'the goal', '--policy', f.policyFile, '--run-id', 'planted', '--no-progress']);
  t.equal(r.code, 3, `the run stops on the install's change\n${r.err}`);
  const events = readJsonl(path.join(f.repo, '.engine', 'runs', 'planted', 'timeline.jsonl'));
  const violation = events.find((e) => e.type === 'governance.violation');
  t.match(violation?.violations, [{ rule: 'engine_install', path: /\/dist\/code-cache\/v/ }, { rule: 'engine_install', path: /\/dist\/code-cache\/v/ }], 'both planted caches named');
  t.notOk(existsSync(proof), 'nothing planted ran during the run');
  for (const file of Object.keys(planted)) t.notOk(existsSync(file), `${path.basename(file)}: removed`);

  // The commands after it start from the bundle and vendor files themselves.
  const report = engine(['report', '--repo', f.repo]);
  t.equal(report.code, 0, report.err);
  const again = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'the goal', '--policy', f.policyFile, '--run-id', 'after', '--no-progress']);
  t.notOk(existsSync(proof), 'no planted cache ran in the next commands');
  t.not(again.code, null, again.err);
});
