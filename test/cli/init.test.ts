import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';
import { loadConfigFile } from '../../engine/config/index.js';
import { packageRoot } from '../../engine/paths.js';

const modelineOf = (file: string) => /^# yaml-language-server: \$schema=(.+)$/m.exec(readFileSync(file, 'utf8'))?.[1];
const git = (repo: string, ...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });

/** A scratch git repo outside the engine's checkout, optionally with the engine "installed" in it. */
function scratchRepo(t: Test, files: Record<string, string> = {}, installed = false): string {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'engine-init-'));
  t.teardown(() => rmSync(repo, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(repo, name), text);
  execFileSync('git', ['init', '-q', repo]);
  if (installed) {
    mkdirSync(path.join(repo, 'node_modules', '@engine'), { recursive: true });
    symlinkSync(packageRoot, path.join(repo, 'node_modules', '@engine', 'engine'));
    writeFileSync(path.join(repo, '.gitignore'), 'node_modules/\n');
  }
  return repo;
}

t.test('with the engine in the repo\'s node_modules: portable modelines, a committable .engine/, runs/ ignored', async (t) => {
  const repo = scratchRepo(t, { 'package.json': JSON.stringify({ scripts: { test: 'node --test' } }) }, true);
  const io = memoryIo({ cwd: repo });
  t.equal(await main(['init'], io), 0);
  t.equal(
    io.out.join(''),
    [
      'created .engine/pipeline.yaml',
      'created .engine/policy.yaml',
      'created .engine/.gitignore (ignores runs/; commit the rest of .engine/)',
      'next: engine validate .engine/pipeline.yaml .engine/policy.yaml && engine policy --explain',
      '',
    ].join('\n'),
  );
  t.equal(io.err.join(''), '', 'nothing to explain');
  for (const [name, kind] of [['pipeline', 'Pipeline'], ['policy', 'Policy']] as const) {
    const file = path.join(repo, '.engine', `${name}.yaml`);
    t.equal(modelineOf(file), `../node_modules/@engine/engine/schemas/${name}.schema.json`);
    const loaded = await loadConfigFile(file);
    t.same(loaded.diagnostics, [], `${name}.yaml validates`);
    t.equal(loaded.kind, kind);
  }
  const policy = (await loadConfigFile(path.join(repo, '.engine/policy.yaml'))).data as { verification: { tiers: { tier0: { commands: string[] } } } };
  t.same(policy.verification.tiers.tier0.commands, ['npm test'], 'tier0 npm test when package.json has a test script');
  mkdirSync(path.join(repo, '.engine/runs/r1'), { recursive: true });
  writeFileSync(path.join(repo, '.engine/runs/r1/state.json'), '{}');
  mkdirSync(path.join(repo, '.engine/templates'));
  writeFileSync(path.join(repo, '.engine/templates/plan.md'), 'plan');
  t.equal(
    git(repo, 'status', '--porcelain', '--untracked-files=all'),
    '?? .engine/.gitignore\n?? .engine/pipeline.yaml\n?? .engine/policy.yaml\n?? .engine/templates/plan.md\n?? .gitignore\n?? package.json\n',
    'the config and templates show up to be committed; the run store does not',
  );
  git(repo, 'add', '.engine');
  t.equal(git(repo, 'diff', '--cached', '--name-only'), '.engine/.gitignore\n.engine/pipeline.yaml\n.engine/policy.yaml\n.engine/templates/plan.md\n');
});

t.test('without the engine in node_modules: an absolute modeline and a note saying why and what to do', async (t) => {
  const repo = scratchRepo(t);
  const io = memoryIo({ cwd: repo });
  t.equal(await main(['init'], io), 0);
  const schemas = path.join(packageRoot, 'schemas');
  t.equal(modelineOf(path.join(repo, '.engine/pipeline.yaml')), `${schemas}/pipeline.schema.json`);
  t.equal(modelineOf(path.join(repo, '.engine/policy.yaml')), `${schemas}/policy.schema.json`);
  t.equal(
    io.err.join(''),
    [
      `note: modelines point at ${schemas}/{kind}.schema.json: the engine is not installed in this repo's node_modules, so that path works on this machine only`,
      "note: to share them: npm i -D @engine/engine, then npx engine init --force; or engine init --force --schema-path DIR (the schemas' directory, relative to .engine/, or a URL)",
      '',
    ].join('\n'),
  );
});

t.test('--schema-path: a directory of schemas, or a {kind} template', async (t) => {
  const repo0 = scratchRepo(t);
  const io0 = memoryIo({ cwd: repo0 });
  t.equal(await main(['init', '--schema-path', 'https://example.com/engine/schemas/'], io0), 0);
  t.equal(modelineOf(path.join(repo0, '.engine/pipeline.yaml')), 'https://example.com/engine/schemas/pipeline.schema.json');
  t.equal(modelineOf(path.join(repo0, '.engine/policy.yaml')), 'https://example.com/engine/schemas/policy.schema.json');
  t.equal(io0.err.join(''), 'note: modelines point at https://example.com/engine/schemas/{kind}.schema.json (from --schema-path)\n');
  const repo = scratchRepo(t);
  const io = memoryIo({ cwd: repo });
  t.equal(await main(['init', '--schema-path', '../tools/engine/schemas/{kind}.schema.json'], io), 0);
  t.equal(modelineOf(path.join(repo, '.engine/pipeline.yaml')), '../tools/engine/schemas/pipeline.schema.json');
  t.equal(modelineOf(path.join(repo, '.engine/policy.yaml')), '../tools/engine/schemas/policy.schema.json');
  t.equal(io.err.join(''), 'note: modelines point at ../tools/engine/schemas/{kind}.schema.json (from --schema-path)\n');
});

t.test('--schema-path with a line break or another control character is refused: it wrote YAML of its own into the files', async (t) => {
  for (const bad of ['x\nbudgets: {max_ticks: 1}\n#', 'x\r#', 'x\u001b[2J']) {
    const repo = scratchRepo(t);
    const io = memoryIo({ cwd: repo });
    t.equal(await main(['init', '--schema-path', bad], io), 2, JSON.stringify(bad));
    t.match(io.err.join(''), /^engine init: error E_USAGE --schema-path holds a control character/);
    t.notOk(existsSync(path.join(repo, '.engine')), 'nothing written');
  }
});

t.test('init and doctor of a repo whose name holds an escape sequence print none raw', async (t) => {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'engine-init-esc-'));
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  const repo = path.join(parent, 'r\u001b]0;owned\u0007');
  mkdirSync(repo);
  git(repo, 'init', '-q');
  git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'i');
  const init = memoryIo({ cwd: parent });
  t.equal(await main(['init', '--repo', repo], init), 0);
  t.notMatch(init.out.join('') + init.err.join(''), /[\u001b\u0007]/, 'init');
  const doctor = memoryIo({ cwd: parent });
  await main(['doctor', '--repo', repo], doctor);
  t.match(doctor.out.join(''), /r\ufffd\]0;owned\ufffd/);
  t.notMatch(doctor.out.join('') + doctor.err.join(''), /[\u001b\u0007]/, 'doctor');
});

t.test('init on an initialised repo reports what is there (exit 0); --force rewrites', async (t) => {
  const repo = scratchRepo(t, {}, true);
  t.equal(await main(['init', '--repo', repo], memoryIo()), 0);
  writeFileSync(path.join(repo, '.engine/policy.yaml'), 'apiVersion: engine/v1\nkind: Policy\nbudgets: {max_ticks: 9}\n');
  const again = memoryIo();
  t.equal(await main(['init', '--repo', repo], again), 0);
  const rel = path.relative(process.cwd(), path.join(repo, '.engine'));
  t.equal(
    again.out.join(''),
    [
      `kept ${rel}/pipeline.yaml (kind: Pipeline, 9 steps)`,
      `kept ${rel}/policy.yaml (kind: Policy)`,
      'the existing files were kept; engine init --force rewrites them',
      `next: engine validate ${rel}/pipeline.yaml ${rel}/policy.yaml && engine policy --repo ${repo} --explain`,
      '',
    ].join('\n'),
  );
  t.match(readFileSync(path.join(repo, '.engine/policy.yaml'), 'utf8'), /max_ticks: 9/, 'kept as it was');
  const forced = memoryIo();
  t.equal(await main(['init', '--repo', repo, '--force'], forced), 0);
  t.equal(forced.out.join('').split('\n').slice(0, 2).join('\n'), `rewrote ${rel}/pipeline.yaml (it was the same)\nrewrote ${rel}/policy.yaml (what was there is in ${rel}/policy.yaml.bak)`);
  t.notMatch(readFileSync(path.join(repo, '.engine/policy.yaml'), 'utf8'), /max_ticks: 9/);
  t.match(readFileSync(path.join(repo, '.engine/policy.yaml.bak'), 'utf8'), /max_ticks: 9/, "the user's edit is kept beside it");
  writeFileSync(path.join(repo, '.engine/policy.yaml'), 'apiVersion: engine/v1\nkind: Policy\nbudgets: {max_ticks: 7}\n');
  const twice = memoryIo();
  t.equal(await main(['init', '--repo', repo, '--force'], twice), 0);
  t.match(twice.out.join(''), `rewrote ${rel}/policy.yaml (what was there is in ${rel}/policy.yaml.bak.1)`, 'an earlier backup is never overwritten');
  t.match(readFileSync(path.join(repo, '.engine/policy.yaml.bak'), 'utf8'), /max_ticks: 9/);
  t.match(readFileSync(path.join(repo, '.engine/policy.yaml.bak.1'), 'utf8'), /max_ticks: 7/);
  t.equal(readFileSync(path.join(repo, '.engine/.gitignore'), 'utf8').split('\n').filter((l) => l === 'runs/').length, 1, 'runs/ once');
});

t.test('the info/exclude line of earlier versions is removed; a user .gitignore in .engine/ gains runs/', async (t) => {
  const repo = scratchRepo(t, {}, true);
  mkdirSync(path.join(repo, '.engine'));
  writeFileSync(path.join(repo, '.engine/.gitignore'), '*.local.yaml');
  writeFileSync(path.join(repo, '.git/info/exclude'), '# keep me\n*.swp\n# engine: run store, worktrees and repo config\n.engine/\n');
  const io = memoryIo({ cwd: repo });
  t.equal(await main(['init'], io), 0);
  t.match(io.out.join(''), /^updated \.engine\/\.gitignore \(ignores runs\/; commit the rest of \.engine\/\)\nremoved \.engine\/ from \.git\/info\/exclude \(the config in \.engine\/ is meant to be committed\)\n/m);
  t.equal(readFileSync(path.join(repo, '.git/info/exclude'), 'utf8'), '# keep me\n*.swp\n');
  t.equal(readFileSync(path.join(repo, '.engine/.gitignore'), 'utf8'), '*.local.yaml\nruns/\n');
});

t.test('no package.json test script: tier0 left commented; not a git repo is fine', async (t) => {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'engine-init-nogit-'));
  t.teardown(() => rmSync(repo, { recursive: true, force: true }));
  writeFileSync(path.join(repo, 'package.json'), JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }));
  const io = memoryIo({ cwd: repo });
  t.equal(await main(['init'], io), 0);
  t.notMatch(io.out.join(''), /exclude/);
  // Written where the user stands, and said: a home directory would get a .engine/ unawares.
  t.match(io.err.join(''), /^note: .*engine-init-nogit-\w+ is in no git repository: \.engine\/ was written there; engine run needs one \(git init there\), or set up another directory with engine init --repo DIR$/m);
  const named = memoryIo({ cwd: os.tmpdir() });
  t.equal(await main(['init', '--repo', repo], named), 0);
  t.notMatch(named.err.join(''), /no git repository/, 'a directory named with --repo is set up as asked, without the note');
  const text = readFileSync(path.join(repo, '.engine/policy.yaml'), 'utf8');
  t.match(text, /^# {7}commands: \["npm test"\]$/m);
  const loaded = await loadConfigFile(path.join(repo, '.engine/policy.yaml'));
  t.same(loaded.data, { apiVersion: 'engine/v1', kind: 'Policy' });
});

t.test('a repo that is not a directory is E_FILE', async (t) => {
  const io = memoryIo();
  t.equal(await main(['init', '--repo', '/nonexistent/dir'], io), 2);
  t.equal(io.err.join(''), 'engine init: error E_FILE /nonexistent/dir is not a directory\n');
});

t.test('a file system in the way is E_FILE with the path (exit 2, never an internal error), and nothing is overwritten', async (t) => {
  // `.engine` a file: mkdir failed with EEXIST and init exited 70, "a bug in the engine".
  const asFile = scratchRepo(t);
  writeFileSync(path.join(asFile, '.engine'), 'notes of mine\n');
  let io = memoryIo({ cwd: asFile });
  t.equal(await main(['init'], io), 2, io.err.join(''));
  t.equal(io.err.join(''), 'engine init: error E_FILE cannot write .engine: is a file, not a directory\n');
  t.equal(readFileSync(path.join(asFile, '.engine'), 'utf8'), 'notes of mine\n', 'the file is kept');

  // A directory where a config file goes: an error also with --force, and what was written first is said.
  for (const force of [false, true]) {
    const repo = scratchRepo(t);
    mkdirSync(path.join(repo, '.engine', 'policy.yaml'), { recursive: true });
    writeFileSync(path.join(repo, '.engine', 'policy.yaml', 'mine.txt'), 'kept\n');
    io = memoryIo({ cwd: repo });
    t.equal(await main(['init', ...(force ? ['--force'] : [])], io), 2, io.err.join(''));
    t.match(io.err.join(''), /^engine init: error E_FILE cannot write \.engine\/policy\.yaml: is a directory, not a file$/m);
    t.match(io.out.join(''), /^created \.engine\/pipeline\.yaml$/m, 'what was done before is said');
    t.equal(readFileSync(path.join(repo, '.engine', 'policy.yaml', 'mine.txt'), 'utf8'), 'kept\n');
  }

  const ignoreDir = scratchRepo(t);
  mkdirSync(path.join(ignoreDir, '.engine', '.gitignore'), { recursive: true });
  io = memoryIo({ cwd: ignoreDir });
  t.equal(await main(['init'], io), 2);
  t.match(io.err.join(''), /^engine init: error E_FILE cannot write \.engine\/\.gitignore: is a directory, not a file$/m);
});
