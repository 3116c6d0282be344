import t from 'tap';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// @ts-expect-error: a plain ES module of the repo's scripts, without types
import { estimateSeconds, expandTestFolders, isEndToEnd, listPart, listTestFiles, namesTestFiles, needsOwnProcess, writeGroups } from '../../scripts/group-tests.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * A scratch repo of test files, written as given (paths relative to it), with its groups
 * written: inside the repo (tap's own dir, ignored by git), so a group file finds tap. What
 * its tests leave running gets 3 s to end (the repo's own groups: 15 s). Its `.taprc`, the
 * repo's tap config with absolute paths, makes it tap's project root: tap clears the root's
 * `.tap/processinfo` as it starts, and the repo's is the one the tap running this file is
 * writing to.
 */
function scratchTests(t: { teardown(fn: () => void): void }, prefix: string, files: Record<string, string>): { base: string; groups: string[] } {
  mkdirSync(path.join(root, '.tap'), { recursive: true });
  const base = mkdtempSync(path.join(root, '.tap', prefix));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const config = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).tap as { 'node-arg': string[] };
  config['node-arg'] = config['node-arg'].map((arg) => arg.replace(/^--import=\.\//, `--import=${pathToFileURL(root).href}/`));
  writeFileSync(path.join(base, '.taprc'), JSON.stringify(config));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(base, rel)), { recursive: true });
    writeFileSync(path.join(base, rel), text);
  }
  return { base, groups: writeGroups(base, path.join(base, 'groups'), { waitMs: 3000 }) };
}

/** tap run on one written file, in the scratch repo, with how long it took. */
function runTap(base: string, file: string, timeout: number) {
  const started = Date.now();
  const r = spawnSync(path.join(root, 'node_modules', '.bin', 'tap'), ['-R', 'tap', path.resolve(base, file)], {
    cwd: base,
    // without the settings the tap running this file hands its children: the .taprc's count
    env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^_?TAP/.test(name))),
    encoding: 'utf8',
    timeout,
  });
  return { ...r, ms: Date.now() - started };
}

t.test('every test file of the repo runs exactly once: on its own or in one group, the long ones first', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-groups-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run: string[] = writeGroups(root, dir);
  const texts = run.map((f) => readFileSync(path.resolve(root, f), 'utf8'));
  const listed = (text: string) => [...text.matchAll(/^\/\/ test file: (.+)$/gm)].map((m) => m[1]!);
  const grouped = texts.filter((x) => x.includes('g.comment(')).flatMap((text) => [...text.matchAll(/g\.comment\("([^"]+)"\)/g)].map((m) => m[1]!));
  const alone = texts.filter((x) => !x.includes('g.comment(')).flatMap(listed);
  t.same(texts.flatMap(listed).sort(), [...grouped, ...alone].sort(), 'each file says which test files it runs');
  const all: string[] = listTestFiles(root);
  t.same([...alone, ...grouped].sort(), all, 'alone and grouped together are the test files, none twice');
  t.ok(grouped.length > alone.length, `most files share a process (${grouped.length} grouped, ${alone.length} on their own)`);
  t.notOk(alone.includes('test/runtime/crash-resume.test.ts'), 'a test that only starts engines shares a process');
  t.same([...run].sort(), run, 'tap runs files in name order: the names are in run order');
  t.equal(listed(texts[0]!)[0], 'test/e2e/record-replay.test.ts', 'the longest file (by its own word) starts first');
  for (const [i, text] of texts.entries()) {
    if (text.includes('g.comment(')) continue;
    const [file] = listed(text);
    t.ok(text.includes(`import ${JSON.stringify(pathToFileURL(path.join(root, file!)).href)};`), `${run[i]} imports ${file} at the top level`);
  }
});

t.test('npm test and npm run test:e2e between them run every test file once; the second the end-to-end ones', async (t) => {
  const main: string[] = listPart(root, 'main');
  const e2e: string[] = listPart(root, 'e2e');
  t.same([...main, ...e2e].sort(), listTestFiles(root), 'the two parts are all the test files');
  t.same(main.filter((f) => e2e.includes(f)), [], 'no file in both');
  t.same(listPart(root, 'all'), listTestFiles(root));
  t.same(e2e.filter((f) => !/^test\/(e2e|isolation)\//.test(f)), ['test/cli/suite.test.ts', 'test/sandbox/real-clis.test.ts', 'test/stub/claude-cli.test.ts', 'test/stub/codex-cli.test.ts', 'test/stub/pipeline-scenario.test.ts', 'test/workers/add-builtin-worker.test.ts'], 'elsewhere, the files that say they are');
  t.same(main.filter((f) => /^test\/(e2e|isolation)\//.test(f)), [], 'every end-to-end and isolation test is in the second');
  t.ok(main.includes('test/runtime/crash-resume.test.ts'), 'the crash tests stay in npm test');
  t.throws(() => listPart(root, 'unit'), /no part of the tests named "unit"/);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-groups-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const listed = writeGroups(root, dir, { part: 'e2e' }).flatMap((f: string) => [...readFileSync(path.resolve(root, f), 'utf8').matchAll(/^\/\/ test file: (.+)$/gm)].map((m) => m[1]!));
  t.same(listed.sort(), e2e, 'the groups of a part run its files');
});

t.test("npm test's arguments: test files, or flags only (a flag's value names no file)", async (t) => {
  // `npm run test:e2e -- -g foo` ran every test file, end-to-end or not: `foo` read as a file.
  t.notOk(namesTestFiles(['-g', 'foo']));
  t.notOk(namesTestFiles(['-R', 'silent', '--grep=x']));
  t.notOk(namesTestFiles([]));
  t.ok(namesTestFiles(['test/cli/clean.test.ts']));
  t.ok(namesTestFiles(['-g', 'x', 'test/a.test.mjs']));
  t.ok(namesTestFiles(['test/doctor']), 'a folder of tests');
  t.ok(namesTestFiles(['./test/cli/']));
  t.notOk(namesTestFiles(['-g', 'testing']), 'a grep that begins like the folder is a flag\'s value');
  // tap takes files only: a folder is given as its test files.
  const expanded: string[] = expandTestFolders(root, ['-g', 'x', 'test/doctor/', 'test/cli/clean.test.ts']);
  t.same(expanded.slice(0, 2), ['-g', 'x'], 'flags and their values as given');
  t.ok(expanded.includes('test/doctor/verdict.test.ts') && expanded.every((a) => !a.startsWith('test/') || a.endsWith('.test.ts')), 'the folder\'s test files');
  t.equal(expanded.at(-1), 'test/cli/clean.test.ts');
  t.same(expandTestFolders(root, ['-g', 'doctor', '-g', 'test']), ['-g', 'doctor', '-g', 'test'], 'a flag\'s value that is no path in test/ is kept');
  t.notOk(namesTestFiles(['-g', 'test']));
  t.notOk(namesTestFiles(['-g', 'test/x']), 'a grep for a path is a flag\'s value');
  t.notOk(namesTestFiles(['--grep', 'a.test.ts']));
  t.same(expandTestFolders(root, ['--grep', 'test/doctor']), ['--grep', 'test/doctor'], 'nor is it expanded');
});

t.test('what is an end-to-end test: its directory, or its own word in its first lines', async (t) => {
  t.ok(isEndToEnd('test/e2e/demo.test.ts', "import t from 'tap';"));
  t.ok(isEndToEnd('test/isolation/tree.test.ts', "import t from 'tap';"));
  t.ok(isEndToEnd('test/cli/x.test.ts', "// test cost: about 9 s\n// test kind: end-to-end (npm run test:e2e): why\nimport t from 'tap';"));
  t.notOk(isEndToEnd('test/cli/x.test.ts', "import t from 'tap';\n// not at a line's start: test kind: end-to-end"));
  t.notOk(isEndToEnd('test/e2e-notes/x.test.ts', "import t from 'tap';"), 'a directory named alike');
  t.notOk(isEndToEnd('test/cli/x.test.ts', `${'// filler\n'.repeat(300)}// test kind: end-to-end`), 'only the first lines say it');
});

t.test('a file\'s cost: its own word first, else an estimate from its text', async (t) => {
  t.equal(estimateSeconds('test/x/a.test.ts', '// test cost: about 40 s: a whole suite\nimport t from \'tap\';', 100), 40);
  t.equal(estimateSeconds('test/x/a.test.ts', "import t from 'tap';", 8000), 1, 'a unit file: 8 KB a second');
  t.equal(estimateSeconds('test/x/a.test.ts', "await engine(['run']);", 8000), 5, 'one that runs the engine: five times');
  t.equal(estimateSeconds('test/e2e/a.test.ts', "await engine(['run']);", 8000), 20, 'end to end: four times more');
});

t.test('what must run on its own', async (t) => {
  t.ok(needsOwnProcess('test/e2e/demo.test.ts', "import t from 'tap';"), 'end to end');
  t.ok(needsOwnProcess('test/x/a.test.ts', 'process.env.HOME = dir;'), 'the environment changed');
  t.ok(needsOwnProcess('test/x/a.test.ts', 'delete process.env.GIT_DIR;'), 'the environment changed');
  t.ok(needsOwnProcess('test/x/a.test.ts', "process.on('exit', f);"), 'a process handler');
  t.ok(needsOwnProcess('test/x/a.test.ts', 't.beforeEach(f);'), 'a root-level hook');
  t.ok(needsOwnProcess('test/x/a.test.ts', 'await t.test("x", f);'), 'a top-level await');
  t.notOk(needsOwnProcess('test/x/a.test.ts', "if (process.env.HOME === '/') t.pass('x');\n  await f();"), 'reading the environment, an await inside a function');
});

t.test('a group runs the tests of every file, also when one is still compiling as the others finish', async (t) => {
  // a sets a root-level teardown, b imports a module of new text, so the loader thread
  // compiles it while a's test is done: tap's root, its queue dry and a teardown set, ended
  // there, and b's test never ran (as with test/config/hostile-yaml.test.ts before
  // test/doctor/login.test.ts).
  const slow = Array.from({ length: 2000 }, (_, i) => `export const v${i}: number = ${i};`).join('\n');
  const { base, groups: files } = scratchTests(t, 'groups-run-', {
    'test/x/a.test.ts': "import t from 'tap';\nt.teardown(() => {});\nt.test('a', async (t) => { t.pass('a ran'); });\n",
    'test/x/slow.ts': `// ${randomBytes(16).toString('hex')}\n${slow}\n`,
    'test/x/b.test.ts': "import t from 'tap';\nimport { v1 } from './slow.js';\nt.test('b', async (t) => { t.equal(v1, 1, 'b ran'); });\n",
  });
  t.equal(files.length, 1, 'one group');
  const r = runTap(base, files[0]!, 120_000);
  t.equal(r.status, 0, r.stdout + r.stderr);
  t.match(r.stdout, /ok \d+ - a ran/);
  t.match(r.stdout, /ok \d+ - b ran/);
  t.match(r.stdout, /ok \d+ - the tests left nothing running/);
  t.match(r.stdout, /^ {4}1\.\.4$/m, 'four tests in the group: loading, a, b and the check that nothing was left running');
});

t.test('a group whose tests leave a child process or a server behind fails, names them and still exits', async (t) => {
  // In a group, such a leftover kept the process alive after its last test passed, until
  // tap's 600 s limit ended it with only "timeout!" to go on.
  const { base, groups: files } = scratchTests(t, 'groups-left-', {
    'test/x/leaks.test.ts': [
      "import t from 'tap';",
      "import { spawn } from 'node:child_process';",
      "import { createServer } from 'node:net';",
      "t.test('leaks', async (t) => {",
      "  spawn('sleep', ['300'], { stdio: ['ignore', 'pipe', 'ignore'] });",
      "  await new Promise<void>((resolve) => createServer().listen(0, '127.0.0.1', resolve));",
      "  t.pass('leaks ran');",
      '});',
      '',
    ].join('\n'),
    'test/x/clean.test.ts': "import t from 'tap';\nt.test('clean', async (t) => { t.pass('clean ran'); });\n",
  });
  t.equal(files.length, 1, 'one group');
  const r = runTap(base, files[0]!, 200_000);
  t.equal(r.signal, null, 'the group ended on its own');
  t.ok(r.ms < 150_000, 'well before the child would have ended');
  t.equal(r.status, 1, 'and failed');
  t.match(r.stdout, /ok \d+ - leaks ran/);
  t.match(r.stdout, /ok \d+ - clean ran/);
  t.match(r.stdout, /not ok \d+ - the tests left nothing running/);
  t.match(r.stdout, /child process \d+: sleep 300/, 'the child is named by its command line');
  t.match(r.stdout, /server listening on 127\.0\.0\.1:\d+/, 'the server by its address');
});

t.test('a group that left nothing running passes however long its process then takes to end', async (t) => {
  // The check's deadline (exit 1 five seconds on) was set also when it had passed: on a
  // loaded CI machine the process's own ending (tap closing its root, what the tests queued
  // for `beforeExit`) took longer, and a group whose every test passed exited 1 with no
  // failure named.
  const { base, groups: files } = scratchTests(t, 'groups-slow-end-', {
    'test/x/slow-end.test.ts': [
      "import t from 'tap';",
      "process.once('beforeExit', () => { setTimeout(() => {}, 6500); });",
      "t.test('slow end', async (t) => { t.pass('slow end ran'); });",
      '',
    ].join('\n'),
    'test/x/clean.test.ts': "import t from 'tap';\nt.test('clean', async (t) => { t.pass('clean ran'); });\n",
  });
  t.equal(files.length, 1, 'one group');
  const r = runTap(base, files[0]!, 100_000);
  t.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  t.ok(r.ms > 6500, `the process outlived its last test by the 6.5 s it was kept (${r.ms} ms)`);
  t.match(r.stdout, /ok \d+ - the tests left nothing running/);
});

t.test('a file run alone that leaves a child behind fails within seconds, naming it; one its teardown cleans passes', async (t) => {
  // A last test, as groups have, would run before such a file's root-level teardowns: the
  // check is a root teardown added after the file's own instead.
  const { base, groups: files } = scratchTests(t, 'alone-left-', {
    'test/e2e/leaks.test.ts': ["import t from 'tap';", "import { spawn } from 'node:child_process';", "t.test('leaks', async (t) => {", "  spawn('sleep', ['300'], { stdio: 'ignore' });", "  t.pass('leaks ran');", '});', ''].join('\n'),
    'test/e2e/tidy.test.ts': [
      "import t from 'tap';",
      "import { createServer } from 'node:net';",
      'const server = createServer();',
      "t.before(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));",
      't.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));',
      't.plan(1);',
      "t.test('tidy', async (t) => { t.pass('tidy ran'); });",
      '',
    ].join('\n'),
  });
  t.equal(files.length, 2, 'each alone');
  const run = (name: string) => runTap(base, files.find((f) => f.includes(name))!, 200_000);
  const leaks = run('leaks');
  t.equal(leaks.signal, null, 'the file ended on its own');
  t.ok(leaks.ms < 150_000, 'well before the child would have ended');
  t.equal(leaks.status, 1, 'and failed');
  t.match(leaks.stdout, /ok \d+ - leaks ran/);
  t.match(`${leaks.stdout}${leaks.stderr}`, /the tests left running 3 s after their end: child process \d+: sleep 300/, 'the child is named by its command line');
  const tidy = run('tidy');
  t.equal(tidy.status, 0, `${tidy.stdout}${tidy.stderr}`);
  t.match(tidy.stdout, /ok \d+ - tidy ran/);
});
