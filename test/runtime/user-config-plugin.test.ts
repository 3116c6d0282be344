// test cost: about 3 s: refusals in this process, one real run.
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engine, engineHere, makeFixture } from '../helpers/run-fixture.js';

// A plugin of the user's names, with `userConfig`, config of theirs its CLI's next session
// runs: the engine watches it after every step (governance rule cli_config). Given something
// it cannot walk, the engine left it out without a word, so the user believed that config was
// watched while it was not. Such a plugin now refuses the run, before anything is made.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const commandWorker = path.join(root, 'dist', 'engine', 'workers', 'command-worker.js');

/** A plugin file: the command worker with `userConfig` as the given source. */
function pluginWith(dir: string, name: string, userConfig: string): string {
  const file = path.join(dir, `${name}.mjs`);
  writeFileSync(file, `import { commandWorker } from ${JSON.stringify(commandWorker)};\nexport default { ...commandWorker, name: ${JSON.stringify(name)}, userConfig: ${userConfig} };\n`);
  return file;
}

function fixtureUsing(userConfig: string) {
  const f = makeFixture({
    pipeline: (p) => {
      p.workers.implementer = { ...p.workers.implementer, use: './mine.mjs' };
    },
  });
  pluginWith(f.dir, 'mine', userConfig);
  return f;
}

const broken: [string, string, RegExp][] = [
  ['a relative root', `() => [{ root: 'home/.mycli', paths: ['config'] }]`, /gave at \[0\] \{"root":"home\/\.mycli","paths":\["config"\]\}, not a list of places/],
  ['a path leaving its root', `() => [{ root: '/tmp', paths: ['../etc/passwd'] }]`, /gave at \[0\] .*\.\.\/etc\/passwd/],
  ['a second place without paths', `() => [{ root: '/tmp', paths: ['x'] }, { root: '/tmp' }]`, /gave at \[1\] \{"root":"\/tmp"\}/],
  ['no list', `() => ({ root: '/tmp', paths: ['x'] })`, /gave \{"root":"\/tmp","paths":\["x"\]\}, not a list of places/],
  ['a digest that is not a function', `() => [{ root: '/tmp', paths: ['x'], digests: { x: 'sha256' } }]`, /gave at \[0\]/],
  ['a throw', `() => { throw new Error('HOME is not set'); }`, /its plugin's userConfig threw: HOME is not set/],
];

for (const [what, source, message] of broken) {
  t.test(`userConfig giving ${what}: the run is refused, exit 2, nothing made`, async (t) => {
    const f = fixtureUsing(source);
    const engineHome = mkdtempSync(path.join(os.tmpdir(), 'engine-home-ucfg-'));
    const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress'], { cwd: f.dir, env: { ENGINE_HOME: engineHome } });
    t.equal(r.code, 2, r.stderr);
    t.match(r.stderr, /E_PLUGIN_INVALID/);
    t.match(r.stderr, /workers\.implementer\.use/);
    t.match(r.stderr, /worker "implementer" \(use: \.\/mine\.mjs\)/);
    t.match(r.stderr, message);
    t.notOk(existsSync(path.join(f.repo, '.engine', 'runs')) && readdirSync(path.join(f.repo, '.engine', 'runs')).some((n) => n !== 'index.jsonl' && !n.startsWith('.')), 'no run directory');
    t.same(readdirSync(engineHome), [], 'no workspace');
  });
}

t.test('control: a plugin whose places can be walked runs to the end', async (t) => {
  const f = fixtureUsing(`() => [{ root: ${JSON.stringify(os.tmpdir())}, paths: ['engine-ucfg-none-${process.pid}'] }]`);
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress', '--run-id', 'ok'], { cwd: f.dir });
  t.equal(r.code, 0, r.stderr);
});
