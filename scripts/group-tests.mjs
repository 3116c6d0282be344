// Which test files `npm test` runs several to a process, and the files that run them.
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

/** Test files per group: about the work of the heaviest single files, so three jobs stay even. */
const PER_GROUP = 8;

const OWN_DIRS = /^test\/(e2e|isolation|sandbox|proc)\//;
// A top-level await on a test would wait on the group's loading subtest, which waits on it.
const OWN_TEXT = /^(const [^=]+= )?await |makeIsoFixture|playwright|process\.on\(|process\.env\.[A-Za-z_]+ *=(?!=)|delete process\.env|process\.chdir|^t\.(before|beforeEach|afterEach|after|plan)\b/m;
/** A test that runs the engine (a process, or `engineHere` in its own): each run costs more than a page of unit tests. */
const STARTS_ENGINES = /\bengine\(|spawnEngine|runEngine|engineHere\(/;

/** Whether a test file (path relative to the repo, its text) must run in a process of its own. Pure. */
export function needsOwnProcess(file, text) {
  return OWN_DIRS.test(file) || OWN_TEXT.test(text);
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
 * The files tap is to run: those that need a process of their own, then group files
 * (written to `dir`, replacing what was there) that import the rest, PER_GROUP each on
 * average, balanced by source size (five times for a file that runs the engine). Impure
 * (reads the tests, writes the group files).
 */
export function writeGroups(root, dir) {
  const own = [];
  const shared = [];
  for (const file of listTestFiles(root)) {
    const abs = path.join(root, file);
    const text = readFileSync(abs, 'utf8');
    (needsOwnProcess(file, text) ? own : shared).push({ file, weight: statSync(abs).size * (STARTS_ENGINES.test(text) ? 5 : 1) });
  }
  const count = Math.ceil(shared.length / PER_GROUP);
  const groups = Array.from({ length: count }, () => ({ weight: 0, files: [] }));
  // Heaviest first, each to the lightest group so far.
  for (const t of [...shared].sort((a, b) => b.weight - a.weight || (a.file < b.file ? -1 : 1))) {
    const g = groups.reduce((min, x) => (x.weight < min.weight ? x : min));
    g.weight += t.weight;
    g.files.push(t.file);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const groupFiles = groups.map((g, i) => {
    const out = path.join(dir, `group-${String(i + 1).padStart(2, '0')}.test.mjs`);
    // The files are imported inside one subtest: the tests they add to the root queue behind
    // it and run once all are loaded. Imported one by one at the top level, tap ended the root
    // whenever its queue ran dry while the next file was still loading, and the rest never ran.
    const urls = g.files.sort().map((f) => [f, pathToFileURL(path.join(root, f)).href]);
    const lines = [
      '// Written by scripts/group-tests.mjs: these test files run in one process.',
      "import t from 'tap';",
      `await t.test('load ${urls.length} test files', async (g) => {`,
      ...urls.flatMap(([f, url]) => [`  g.comment(${JSON.stringify(f)});`, `  await import(${JSON.stringify(url)});`]),
      `  g.pass('loaded');`,
      '});',
    ];
    writeFileSync(out, `${lines.join('\n')}\n`);
    return path.relative(root, out);
  });
  return [...own.map((t) => t.file), ...groupFiles];
}
