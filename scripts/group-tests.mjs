// Which test files `npm test` and `npm run test:e2e` run (listPart), which of them share a
// process, and the files that run them.
//
// Every test process pays a floor before its first test: node, tap's import and the loader
// thread that compiles TypeScript (test/helpers/esbuild-register.mjs), about 0.5 s of CPU. Most
// test files are unit tests that take a fraction of that; run one to a process, the floor was
// most of their cost. A file runs in a process of its own when it touches the process itself
// (environment, signal handlers, cwd, root-level hooks), or is an end-to-end, isolation,
// sandbox or process test (real CLIs, browsers, process groups): see `needsOwnProcess`. The
// others are imported, a few to a group file, by one process; tap reports each failure with
// the path and line of the test file. Groups are balanced by an estimate of their work.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** How long a group's last test waits for what its tests started to end (a child being reaped). */
const LEFT_RUNNING_WAIT_MS = 15_000;
/** The helper that checks it: this repo's, also for groups written for another root. */
const LEFT_RUNNING_HELPER = new URL('../test/helpers/left-running.mjs', import.meta.url).href;
/** Notes what is alive when it is imported: before a file run alone is. */
const NOTE_ALIVE_HELPER = new URL('../test/helpers/note-alive.mjs', import.meta.url).href;

/** Test files per group: about the work of the heaviest single files, so three jobs stay even. */
const PER_GROUP = 8;

const OWN_DIRS = /^test\/(e2e|isolation|sandbox|proc)\//;
/** Whole runs with real CLIs, a browser or hostile workers: the long files. */
const HEAVY_DIRS = /^test\/(e2e|isolation)\//;
/**
 * The end-to-end tests, which `npm run test:e2e` runs and `npm test` leaves out: whole runs of
 * the built CLI as a user meets them (the real claude and codex, a browser, the suite, hostile
 * workers against the isolation). A file elsewhere that is one says so in its first lines.
 */
const END_TO_END_DIRS = /^test\/(e2e|isolation)\//;
const DECLARED_END_TO_END = /^\/\/ test kind: end-to-end\b/m;
/** A file's own word on what it costs, in its first lines. */
const DECLARED_COST = /^\/\/ test cost: about (\d+(?:\.\d+)?) s\b/m;
// A top-level await on a test would wait on the group's loading subtest, which waits on it.
const OWN_TEXT = /^(const [^=]+= )?await |makeIsoFixture|playwright|process\.on\(|process\.env\.[A-Za-z_]+ *=(?!=)|delete process\.env|process\.chdir|^t\.(before|beforeEach|afterEach|after|plan)\b/m;
/** A test that runs the engine (a process, or `engineHere` in its own): each run costs more than a page of unit tests. */
const STARTS_ENGINES = /\bengine\(|spawnEngine|runEngine|engineHere\(/;

/** Whether a test file (path relative to the repo, its text) must run in a process of its own. Pure. */
export function needsOwnProcess(file, text) {
  return OWN_DIRS.test(file) || OWN_TEXT.test(text);
}

/**
 * Whether `npm test`'s arguments name test files or folders of them (then tap runs those,
 * one to a process), not only flags: a flag's value (`-g foo`, `-R silent`) is none. A folder
 * is named by its path in test/ (`test/doctor`: read as a flag's value, it ran every test
 * file). Pure.
 */
export function namesTestFiles(args) {
  return args.some((_, i) => testPathAt(args, i) !== null);
}

/**
 * What `args[i]` names: a test `file` (a script's name), a `folder` (a path in test/), or
 * null (a flag, a flag's value, anything else). Pure.
 */
function testPathAt(args, i) {
  const a = args[i];
  if (a.startsWith('-') || takesValue(args[i - 1])) return null;
  if (/\.[cm]?[jt]s$/.test(a)) return 'file';
  return /^(\.\/)?test\//.test(a) ? 'folder' : null;
}

/** tap's options that take the next argument as their value (`-g test/x` greps for `test/x`). */
const VALUED = new Set(['-g', '--grep', '-R', '--reporter', '-r', '--reporter-arg', '-t', '--timeout', '-j', '--jobs', '-o', '--output-file', '-d', '--output-dir', '-i', '--include', '-e', '--exclude', '-c', '--config', '--node-arg', '--test-arg', '--test-env', '--before', '--after', '--plugin', '--coverage-map']);

/** Whether `flag` takes the argument after it as its value (not `--flag=value`, which is one). Pure. */
function takesValue(flag) {
  return flag !== undefined && VALUED.has(flag);
}

/** Whether a test file (path relative to the repo, its text) is an end-to-end test. Pure. */
export function isEndToEnd(file, text) {
  return END_TO_END_DIRS.test(file) || DECLARED_END_TO_END.test(text.slice(0, 2000));
}

/**
 * The test files of a part of the tests, sorted: `main` (what `npm test` runs), `e2e` (what
 * `npm run test:e2e` runs) or `all`. Impure (reads the tests).
 */
export function listPart(root, part) {
  const files = listTestFiles(root);
  if (part === 'all') return files;
  if (part !== 'main' && part !== 'e2e') throw new Error(`no part of the tests named ${JSON.stringify(part)}`);
  return files.filter((file) => isEndToEnd(file, readFileSync(path.join(root, file), 'utf8')) === (part === 'e2e'));
}

/**
 * `npm test`'s arguments with each folder of tests (`test/doctor`, a path in test/) replaced by its test files,
 * as listTestFiles finds them: tap takes files, and said of a folder that it matched none.
 * Impure (reads the tests, when a folder is named).
 */
export function expandTestFolders(root, args) {
  let all = null;
  return args.flatMap((a, i) => {
    if (testPathAt(args, i) !== 'folder') return [a];
    all ??= listTestFiles(root);
    const dir = path.relative(root, path.resolve(root, a)).split(path.sep).join('/');
    const under = all.filter((f) => f.startsWith(`${dir}/`));
    return under.length ? under : [a];
  });
}

/** Every `*.test.ts` under test/, fixtures and helpers left out (tap's include and exclude), sorted. */
export function listTestFiles(root) {
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      if (e.isDirectory()) return e.name === 'fixtures' || e.name === 'helpers' ? [] : walk(path.join(dir, e.name));
      return e.name.endsWith('.test.ts') ? [path.join(dir, e.name)] : [];
    });
  return walk(path.join(root, 'test'))
    .map((f) => path.relative(root, f).split(path.sep).join('/'))
    .sort();
}

/**
 * A file's estimated cost in seconds, for balancing groups and ordering the run. A long file
 * says what it costs in its first lines (`// test cost: about 40 s: <why>`, measured in a
 * whole `npm test`); the text alone predicts it badly (one file runs a whole suite in one
 * line, another nine scenarios through a helper). Otherwise: its source size, five times for a
 * file that runs the engine, four times more for an end-to-end or isolation test, at about
 * 8 KB a second (fitted to a whole run). Only the order matters. Pure.
 */
export function estimateSeconds(file, text, size) {
  const declared = DECLARED_COST.exec(text.slice(0, 2000));
  if (declared) return Number(declared[1]);
  return (size * (STARTS_ENGINES.test(text) ? 5 : 1) * (HEAVY_DIRS.test(file) ? 4 : 1)) / 8000;
}

/**
 * The files tap is to run for `part` of the tests (listPart), all written to `dir` (replacing
 * what was there), heaviest first:
 * one per file that needs a process of its own, and groups that import the rest, PER_GROUP
 * each on average, balanced by estimated weight. A shared file heavier than an average group
 * runs alone as well: in a group it would hold the whole group back. tap runs its files in
 * name order, three at a time, so the names begin with the rank: the long files start first
 * and the short ones fill in around them, instead of a 55 s file starting last and running
 * alone at the end. `waitMs`: how long what the tests left running may take to end (the
 * repo's tests of this script give less). Impure (reads the tests, writes the files).
 */
export function writeGroups(root, dir, { waitMs = LEFT_RUNNING_WAIT_MS, part = 'all' } = {}) {
  const own = [];
  const shared = [];
  for (const file of listPart(root, part)) {
    const abs = path.join(root, file);
    const text = readFileSync(abs, 'utf8');
    (needsOwnProcess(file, text) ? own : shared).push({ file, weight: estimateSeconds(file, text, statSync(abs).size) });
  }
  const count = Math.max(1, Math.ceil(shared.length / PER_GROUP));
  const mean = shared.reduce((s, t) => s + t.weight, 0) / count;
  const alone = shared.filter((t) => t.weight > mean && shared.length > 1);
  const rest = shared.filter((t) => !alone.includes(t));
  const groups = Array.from({ length: Math.max(1, Math.ceil(rest.length / PER_GROUP)) }, () => ({ weight: 0, files: [] }));
  // Heaviest first, each to the lightest group so far.
  for (const t of [...rest].sort(byWeight)) {
    const g = groups.reduce((min, x) => (x.weight < min.weight ? x : min));
    g.weight += t.weight;
    g.files.push(t.file);
  }
  const units = [...[...own, ...alone].map((t) => ({ weight: t.weight, files: [t.file], alone: true })), ...groups.filter((g) => g.files.length).map((g) => ({ ...g, alone: false }))].sort(byWeight);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const width = String(units.length).length;
  return units.map((u, i) => {
    const rank = String(i + 1).padStart(width, '0');
    const name = u.alone ? `${rank}-${u.files[0].replace(/^test\//, '').replace(/\.test\.ts$/, '').replace(/[^A-Za-z0-9]+/g, '-')}.test.mjs` : `${rank}-group.test.mjs`;
    const out = path.join(dir, name);
    writeFileSync(out, `${(u.alone ? aloneFile(root, u.files[0], waitMs) : groupFile(root, u.files, waitMs)).join('\n')}\n`);
    return path.relative(root, out);
  });
}

/** Heaviest first, then by name. Pure. */
function byWeight(a, b) {
  const name = (x) => x.file ?? x.files[0];
  return b.weight - a.weight || (name(a) < name(b) ? -1 : 1);
}

/**
 * A file in a process of its own: imported at the top level, as if tap ran it directly.
 * What is alive is noted after tap's import and before the file's (imports run in order), and
 * checked by a root teardown added after the file's own, once its tests are done
 * (test/helpers/left-running.mjs, watchAfterEnd).
 */
function aloneFile(root, file, waitMs) {
  return [
    '// Written by scripts/group-tests.mjs: this test file runs in a process of its own.',
    `// test file: ${file}`,
    "import t from 'tap';",
    `import { alive } from ${JSON.stringify(NOTE_ALIVE_HELPER)};`,
    `import { watchAfterEnd } from ${JSON.stringify(LEFT_RUNNING_HELPER)};`,
    `import ${JSON.stringify(pathToFileURL(path.join(root, file)).href)};`,
    `watchAfterEnd(t, alive, ${waitMs});`,
  ];
}

/**
 * Files in one process. They are imported inside one subtest: the tests they add to the root
 * queue behind it and run once all are loaded. Imported one by one at the top level, tap ended
 * the root whenever its queue ran dry while the next file was still loading, and the rest
 * never ran. A last test checks that the files left nothing running (test/helpers/left-running.mjs).
 */
function groupFile(root, files, waitMs) {
  const sorted = [...files].sort();
  return [
    '// Written by scripts/group-tests.mjs: these test files run in one process.',
    ...sorted.map((f) => `// test file: ${f}`),
    "import t from 'tap';",
    `import { endLeftRunning, noteAlive, waitLeftRunning } from ${JSON.stringify(LEFT_RUNNING_HELPER)};`,
    'const alive = noteAlive();',
    `await t.test('load ${sorted.length} test files', async (g) => {`,
    ...sorted.flatMap((f) => [`  g.comment(${JSON.stringify(f)});`, `  await import(${JSON.stringify(pathToFileURL(path.join(root, f)).href)});`]),
    `  g.pass('loaded');`,
    '});',
    // Queued behind every test the files added: it runs last.
    "t.test('the tests left nothing running', async (t) => {",
    `  const left = await waitLeftRunning(alive, ${waitMs});`,
    "  t.same(left, [], 'every child process, socket, server and timer the tests started has ended');",
    // Only what was left is ended, with a deadline to exit: a check that passed sets none (the
    // process's own ending may take seconds on a loaded machine, and exit 1 then named nothing).
    '  if (left.length) endLeftRunning(alive);',
    '});',
  ];
}
