import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareRepo, type SuiteTask } from '../../engine/suite/run-suite.js';

// A suite task's `start_from` is data: copied whole, its `.git` came too, and the scratch
// repo's own `git add -A` ran the filter driver that `.git/config` defined — any command, as
// the engine, outside every sandbox.
t.test("a task's start_from is copied without its .git: a filter its config defines never runs", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-suite-seed-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const seed = path.join(dir, 'seed');
  const pwned = path.join(dir, 'PWNED');
  mkdirSync(path.join(seed, '.git'), { recursive: true });
  writeFileSync(path.join(seed, '.git', 'config'), `[filter "pwn"]\n\tclean = "id > ${pwned}; cat"\n\tsmudge = cat\n`);
  mkdirSync(path.join(seed, 'lib', '.git'), { recursive: true });
  writeFileSync(path.join(seed, 'lib', '.git', 'config'), `[filter "pwn"]\n\tclean = "id > ${pwned}; cat"\n`);
  writeFileSync(path.join(seed, '.gitattributes'), '* filter=pwn\n');
  writeFileSync(path.join(seed, 'file.txt'), 'hi\n');
  writeFileSync(path.join(seed, 'lib', 'code.js'), 'x\n');
  const task = { name: 'seed', kind: 'incremental', startFrom: seed } as unknown as SuiteTask;
  const { repo, start } = await prepareRepo(path.join(dir, 'run'), task);
  t.notOk(existsSync(pwned), 'the seed\'s filter did not run');
  t.match(start, /^[0-9a-f]{40}$/);
  const files = execFileSync('git', ['-C', repo, 'ls-tree', '-r', '--name-only', start], { encoding: 'utf8' }).trim().split('\n').sort();
  t.same(files, ['.gitattributes', 'file.txt', 'lib/code.js'], 'the files, and no .git of the seed');
  t.notMatch(readFileSync(path.join(repo, '.git', 'config'), 'utf8'), /pwn/, "the scratch repo's config is its own");
});

t.test("a FIFO in a task's start_from is left out, as git leaves it out (the copy threw: exit 70)", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-suite-fifo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const seed = path.join(dir, 'seed');
  mkdirSync(path.join(seed, 'sub'), { recursive: true });
  writeFileSync(path.join(seed, 'a.txt'), 'hi\n');
  execFileSync('mkfifo', [path.join(seed, 'pipe'), path.join(seed, 'sub', 'pipe')]);
  const task = { name: 'fifo', kind: 'incremental', startFrom: seed } as unknown as SuiteTask;
  const { repo, start } = await prepareRepo(path.join(dir, 'run'), task);
  const files = execFileSync('git', ['-C', repo, 'ls-tree', '-r', '--name-only', start], { encoding: 'utf8' }).trim().split('\n');
  t.same(files, ['a.txt']);
  t.notOk(existsSync(path.join(repo, 'pipe')), 'no FIFO in the scratch repo');
});
