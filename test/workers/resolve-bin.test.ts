import t from 'tap';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binSearchDirs, detectCliVersion, installedVersion, resolveCliBin } from '../../engine/workers/resolve-bin.js';
import { packageRoot } from '../../engine/paths.js';
import { engine, makeFixture } from '../helpers/run-fixture.js';

// Where a codex/claude worker's CLI is found: the worker's bin, the target repo's and the
// current project's node_modules/.bin (walking up), the engine package's own, then PATH.

function tree(t: { teardown(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-bins-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An executable `codex` that prints a version. */
function fakeCli(binDir: string, version: string): string {
  mkdirSync(binDir, { recursive: true });
  const file = path.join(binDir, 'codex');
  writeFileSync(file, `#!/bin/sh\necho "codex-cli ${version}"\n`);
  chmodSync(file, 0o755);
  return file;
}

t.test('the order: spec.bin, the repo, the current directory, the engine package, then the bare name', async (t) => {
  const dir = tree(t);
  const repo = path.join(dir, 'repo');
  const cwd = path.join(dir, 'cwd');
  const pkg = path.join(dir, 'project', 'node_modules', '@engine', 'engine');
  mkdirSync(repo);
  mkdirSync(cwd);
  mkdirSync(pkg, { recursive: true });
  const own = fakeCli(path.join(dir, 'project', 'node_modules', '.bin'), '0.169.0');
  t.equal(resolveCliBin({ use: 'codex' }, pkg, 'codex', [repo, cwd]), own, "the engine's own: its project's node_modules/.bin, found walking up");
  const inCwd = fakeCli(path.join(cwd, 'node_modules', '.bin'), '0.169.0');
  t.equal(resolveCliBin({ use: 'codex' }, pkg, 'codex', [repo, cwd]), inCwd, 'the current directory before the engine');
  const inRepo = fakeCli(path.join(repo, 'node_modules', '.bin'), '0.169.0');
  t.equal(resolveCliBin({ use: 'codex' }, pkg, 'codex', [repo, cwd]), inRepo, 'the repo first');
  t.equal(resolveCliBin({ use: 'codex', bin: '/opt/codex' }, pkg, 'codex', [repo, cwd]), '/opt/codex', "the worker's bin wins");
  t.equal(resolveCliBin({ use: 'codex' }, pkg, 'claude', [repo, cwd]), 'claude', 'nowhere: the bare name, for PATH');
});

t.test('walking up: a package inside a monorepo finds the root node_modules/.bin', async (t) => {
  const dir = tree(t);
  const root = fakeCli(path.join(dir, 'node_modules', '.bin'), '0.169.0');
  const sub = path.join(dir, 'packages', 'app');
  mkdirSync(sub, { recursive: true });
  t.equal(resolveCliBin({ use: 'codex' }, path.join(dir, 'nowhere'), 'codex', [sub]), root);
  const dirs = binSearchDirs([sub], '/e');
  t.same(dirs.slice(0, 3), [path.join(sub, 'node_modules', '.bin'), path.join(dir, 'packages', 'node_modules', '.bin'), path.join(dir, 'node_modules', '.bin')]);
  t.equal(new Set(dirs).size, dirs.length, 'no directory twice');
  t.notOk(dirs.some((d) => d.includes(`${path.sep}node_modules${path.sep}node_modules`)), 'never node_modules/node_modules/.bin');
});

t.test("a CLI another user put on the way up (a node_modules/.bin in /tmp) is passed over, never run", { skip: process.getuid?.() === 0 ? false : 'needs root to make files of another user' }, async (t) => {
  const dir = tree(t);
  const repo = path.join(dir, 'work', 'repo');
  mkdirSync(repo, { recursive: true });
  const planted = fakeCli(path.join(dir, 'node_modules', '.bin'), '9.9.9');
  const nobody = 65534;
  for (const p of [planted]) chownSync(p, nobody, nobody);
  t.equal(resolveCliBin({ use: 'codex' }, path.join(dir, 'nowhere'), 'codex', [repo]), 'codex', 'a file of another user: the bare name, for PATH');
  chownSync(planted, 0, 0);
  chownSync(path.join(dir, 'node_modules', '.bin'), nobody, nobody);
  t.equal(resolveCliBin({ use: 'codex' }, path.join(dir, 'nowhere'), 'codex', [repo]), 'codex', "in another user's folder: the same");
  chownSync(path.join(dir, 'node_modules', '.bin'), 0, 0);
  t.equal(resolveCliBin({ use: 'codex' }, path.join(dir, 'nowhere'), 'codex', [repo]), planted, "the user's own is found as before");
});

t.test("engine doctor finds the repo's own CLI before the engine's pinned one", async (t) => {
  const f = makeFixture({ pipeline: (p) => (p.workers.implementer = { use: 'codex', model_endpoint: 'http://127.0.0.1:9' }) });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const theirs = fakeCli(path.join(f.repo, 'node_modules', '.bin'), '0.170.0');
  const r = engine(['doctor', f.pipelineFile, '--repo', f.repo, '--json'], { cwd: f.dir });
  t.equal(r.code, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout);
  t.same(doc.workers.implementer, { plugin: 'codex', bin: theirs, version: '0.170.0', dialect: 'codex-exec-json' });
  // From a subdirectory of the project as the current directory, with the repo elsewhere.
  const project = path.join(f.dir, 'project');
  const mine = fakeCli(path.join(project, 'node_modules', '.bin'), '0.171.0');
  mkdirSync(path.join(project, 'src'));
  const other = path.join(f.dir, 'other');
  mkdirSync(other);
  f.git('init', '-q', other);
  const fromSub = engine(['doctor', f.pipelineFile, '--repo', other, '--json'], { cwd: path.join(project, 'src') });
  t.same(JSON.parse(fromSub.stdout).workers.implementer.bin, mine, "the current project's CLI when the repo has none");
});

t.test("engine run calls the repo's own CLI, the one the preflight found", async (t) => {
  const f = makeFixture({ pipeline: (p) => (p.workers.implementer = { use: 'codex', env: { OPENAI_API_KEY: 'test-key' }, idle_timeout_s: 20, timeout_s: 60 }) });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const calls = path.join(f.dir, 'calls.log');
  const bin = path.join(f.repo, 'node_modules', '.bin');
  mkdirSync(bin, { recursive: true });
  // Says its version; for a call, notes its first argument and fails like a CLI without a model.
  writeFileSync(path.join(bin, 'codex'), `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "codex-cli 0.169.0"; exit 0; fi\necho "$1" >> ${JSON.stringify(calls)}\necho '{"type":"turn.failed","error":{"message":"no model here"}}'\nexit 1\n`);
  chmodSync(path.join(bin, 'codex'), 0o755);
  // Without the OS sandbox: the fake CLI notes its calls outside its workspace.
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--policy', f.policyFile, '--goal', 'g', '--run-id', 'own', '--no-progress', '--set', 'sandbox.mode=off'], { cwd: f.dir });
  t.equal(r.code, 1, r.stdout + r.stderr);
  t.match(readFileSync(calls, 'utf8'), /^exec\n/, "the repo's codex ran the implement call");
  const dir = path.join(f.repo, '.engine', 'runs', 'own');
  t.same(JSON.parse(readFileSync(path.join(dir, 'env.json'), 'utf8')).workers.implementer, { plugin: 'codex', bin: 'codex', version: '0.169.0' });
  const call = readdirSync(path.join(dir, 'calls')).find((c) => c.includes('implement'))!;
  t.equal(JSON.parse(readFileSync(path.join(dir, 'calls', call, 'meta.json'), 'utf8')).bin, path.join(bin, 'codex'));
});

t.test("a CLI's version: its package's manifest when the bin lies in that package, else its --version", async (t) => {
  const dir = tree(t);
  // As npm installs it: node_modules/.bin/codex -> ../@openai/codex/bin/codex.js, whose --version lies.
  const pkgDir = path.join(dir, 'node_modules', '@openai', 'codex');
  mkdirSync(path.join(pkgDir, 'bin'), { recursive: true });
  writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ name: '@openai/codex', version: '0.169.0' }));
  const script = path.join(pkgDir, 'bin', 'codex.js');
  writeFileSync(script, '#!/bin/sh\necho "codex-cli 9.9.9"\n');
  chmodSync(script, 0o755);
  mkdirSync(path.join(dir, 'node_modules', '.bin'));
  const link = path.join(dir, 'node_modules', '.bin', 'codex');
  symlinkSync('../@openai/codex/bin/codex.js', link);
  t.equal(installedVersion(link, '@openai/codex'), '0.169.0', 'read from the manifest, the link resolved');
  t.equal(await detectCliVersion(link, process.env, '@openai/codex'), '0.169.0', 'no process started');
  t.equal(installedVersion(link, '@anthropic-ai/claude-code'), null, 'another package: not this one');
  t.equal(await detectCliVersion(link, process.env, '@anthropic-ai/claude-code'), '9.9.9', 'then --version decides');
  t.equal(await detectCliVersion(link, process.env), '9.9.9', 'no package named: --version');

  // A wrapper of the user's inside their own project: the nearest manifest is theirs.
  const project = path.join(dir, 'project');
  mkdirSync(path.join(project, 'scripts'), { recursive: true });
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: '@openai/codex-wrapper', version: '1.0.0' }));
  const wrapper = fakeCli(path.join(project, 'scripts'), '0.170.1');
  t.equal(installedVersion(wrapper, '@openai/codex'), null);
  t.equal(await detectCliVersion(wrapper, process.env, '@openai/codex'), '0.170.1');
  t.equal(installedVersion(path.join(dir, 'missing'), '@openai/codex'), null, 'a missing bin');
});

t.test('the real CLIs: the manifest says what --version says', async (t) => {
  for (const [cli, pkg] of [['codex', '@openai/codex'], ['claude', '@anthropic-ai/claude-code']] as const) {
    // Both are dev dependencies: installed wherever the tests run.
    const bin = resolveCliBin({ use: cli } as never, packageRoot, cli);
    t.ok(path.isAbsolute(bin), `${cli} found in node_modules/.bin`);
    const fromManifest = installedVersion(bin, pkg);
    t.ok(fromManifest, `${cli}: read from ${pkg}'s package.json`);
    t.equal(await detectCliVersion(bin, process.env), fromManifest, `${cli} --version agrees`);
  }
});
