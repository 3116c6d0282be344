import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';
import { loadConfigFile } from '../../engine/config/index.js';
import { packageRoot } from '../../engine/paths.js';

const modelineOf = (file: string) => /^# yaml-language-server: \$schema=(.+)$/m.exec(readFileSync(file, 'utf8'))?.[1];

t.test('writes both files with modelines that resolve to the shipped schemas; both validate', async (t) => {
  const repo = t.testdir({ 'package.json': JSON.stringify({ scripts: { test: 'node --test' } }) });
  execFileSync('git', ['init', '-q', repo]);
  const io = memoryIo({ cwd: repo });
  t.equal(await main(['init'], io), 0);
  t.match(io.out.join(''), /created \.engine\/pipeline\.yaml\ncreated \.engine\/policy\.yaml\nadded \.engine\/ to \.git\/info\/exclude\n/);
  for (const [name, kind] of [['pipeline', 'Pipeline'], ['policy', 'Policy']] as const) {
    const file = path.join(repo, '.engine', `${name}.yaml`);
    const rel = modelineOf(file)!;
    t.notOk(path.isAbsolute(rel), 'relative schema path');
    t.equal(path.resolve(path.dirname(file), rel), path.join(packageRoot, 'schemas', `${name}.schema.json`));
    const loaded = await loadConfigFile(file);
    t.same(loaded.diagnostics, [], `${name}.yaml validates`);
    t.equal(loaded.kind, kind);
  }
  const policy = (await loadConfigFile(path.join(repo, '.engine/policy.yaml'))).data as { verification: { tiers: { tier0: { commands: string[] } } } };
  t.same(policy.verification.tiers.tier0.commands, ['npm test'], 'tier0 npm test when package.json has a test script');
  t.match(readFileSync(path.join(repo, '.git/info/exclude'), 'utf8'), /^\.engine\/$/m);
  t.equal(execFileSync('git', ['status', '--porcelain'], { cwd: repo, encoding: 'utf8' }), '?? package.json\n', '.engine/ is ignored by git');
});

t.test('refuses to overwrite without --force; --force overwrites; exclude is added once', async (t) => {
  const repo = t.testdir({});
  execFileSync('git', ['init', '-q', repo]);
  t.equal(await main(['init', '--repo', repo], memoryIo()), 0);
  const again = memoryIo();
  t.equal(await main(['init', '--repo', repo], again), 2);
  t.match(again.err.join(''), /E_USAGE .*pipeline\.yaml, .*policy\.yaml already exists; pass --force/);
  const forced = memoryIo();
  t.equal(await main(['init', '--repo', repo, '--force'], forced), 0);
  t.match(forced.out.join(''), /overwrote .*pipeline\.yaml/);
  const exclude = readFileSync(path.join(repo, '.git/info/exclude'), 'utf8');
  t.equal(exclude.split('\n').filter((l) => l === '.engine/').length, 1);
});

t.test('no package.json test script: tier0 left commented; not a git repo: no exclude', async (t) => {
  const repo = t.testdir({ 'package.json': JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }) });
  const io = memoryIo({ cwd: repo });
  t.equal(await main(['init'], io), 0);
  t.notMatch(io.out.join(''), /exclude/);
  t.notOk(existsSync(path.join(repo, '.git')));
  const text = readFileSync(path.join(repo, '.engine/policy.yaml'), 'utf8');
  t.match(text, /^# {7}commands: \["npm test"\]$/m);
  const loaded = await loadConfigFile(path.join(repo, '.engine/policy.yaml'));
  t.same(loaded.data, { apiVersion: 'engine/v1', kind: 'Policy' });
});

t.test('a repo that is not a directory is E_FILE', async (t) => {
  const io = memoryIo();
  t.equal(await main(['init', '--repo', '/nonexistent/dir'], io), 2);
  t.match(io.err.join(''), /E_FILE/);
});
