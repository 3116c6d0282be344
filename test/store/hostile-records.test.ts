import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bareNode, childEnv, engine, engineBin, makeFixture } from '../helpers/run-fixture.js';
import { MAX_RECORD_BYTES, readRecordJson, readRecordText } from '../../engine/util/read-or-null.js';
import { MAX_INDEX_LINE_BYTES, linesFromEnd, readRunIndex, recentRunsFromIndex } from '../../engine/store/run-index.js';

// A hostile review: the records of a run store (state.json, env.json, the config manifest, a
// half-made run's lock, the store's index.jsonl), which a worker without the OS sandbox can
// replace, were read without a bound. A FIFO held `report` and `resume` in open(2) past
// SIGINT and SIGTERM; a link to /dev/zero filled the heap; a 600 MB state.json cost 8 s of
// CPU and a GB to say that no string could be made of it; one nested 200,000 deep, and an
// unended 600 MB index line, were internal errors (exit 70); read from the end, a 16 MB index
// line cost each run's tier0_fast history 10 s. Each is now refused by its kind, size or depth.

const mkfifo = (file: string) => spawnSync('mkfifo', [file]).status === 0;

t.test('a record is read only when it is a regular file within its size and depth', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-records-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'state.json');
  writeFileSync(file, '{"status":"stopped"}');
  t.same(readRecordJson(file), { status: 'stopped' });
  truncateSync(file, MAX_RECORD_BYTES + 1);
  t.throws(() => readRecordText(file), { code: 'EFBIG' }, 'past the limit: refused unread');
  writeFileSync(file, `{"seed":${'['.repeat(200_000)}${']'.repeat(200_000)}}`);
  t.throws(() => readRecordJson(file), SyntaxError, 'nested 200,000 deep: not JSON the engine takes');
  rmSync(file);
  t.ok(mkfifo(file));
  t.throws(() => readRecordText(file), { code: 'ENOTREG' }, 'a FIFO: refused at once, never waited on');
});

t.test("the store's index: a FIFO or a device is no index, a line past the limit is damaged and skipped, the lines around it are read", async (t) => {
  const store = mkdtempSync(path.join(os.tmpdir(), 'engine-index-'));
  t.teardown(() => rmSync(store, { recursive: true, force: true }));
  const index = path.join(store, 'index.jsonl');
  t.ok(mkfifo(index));
  t.equal(readRunIndex(store).exists, false, 'a FIFO: no index (the store is scanned and the index rebuilt)');
  t.equal(recentRunsFromIndex(store, '/repo', 'self', 3), null);
  rmSync(index);
  symlinkSync('/dev/zero', index);
  t.equal(readRunIndex(store).exists, false, 'a link to /dev/zero: no index');
  t.equal(recentRunsFromIndex(store, '/repo', 'self', 3), null);
  rmSync(index);
  mkdirSync(index);
  t.equal(recentRunsFromIndex(store, '/repo', 'self', 0), null, 'a directory: no index, even when no run is asked for');
  rmSync(index, { recursive: true });
  // A line, a line of junk past the limit, a line, and a last line torn by a crash.
  writeFileSync(index, `{"a":1}\n${'x'.repeat(MAX_INDEX_LINE_BYTES + 70_000)}\n{"b":2}\n{"torn`);
  const read = readRunIndex(store);
  t.ok(read.exists);
  t.equal(read.damaged, 4, 'the long line is damaged, as are the two lines that are no entries and the torn one');
  t.same([...linesFromEnd(index)], ['{"b":2}', '{"a":1}'], 'read from the end: last first, the long line and the torn one skipped');
  t.same([...linesFromEnd(path.join(store, 'none'))], [], 'no index: no line');
});

t.test('the line cap is exact, however the line falls across the blocks it is read in', async (t) => {
  const store = mkdtempSync(path.join(os.tmpdir(), 'engine-index-cap-'));
  t.teardown(() => rmSync(store, { recursive: true, force: true }));
  const index = path.join(store, 'index.jsonl');
  // A JSON string line of exactly `size` bytes, after a first line that shifts where it starts.
  for (const lead of [0, 1, 7, 65_535]) {
    for (const size of [MAX_INDEX_LINE_BYTES, MAX_INDEX_LINE_BYTES + 1, MAX_INDEX_LINE_BYTES + 65_000]) {
      const first = lead ? `${'x'.repeat(lead - 1)}\n` : '';
      const long = `"${'x'.repeat(size - 2)}"`;
      writeFileSync(index, `${first}${long}\n{"b":2}\n`);
      const from = [...linesFromEnd(index)].map((l) => (l.length > 20 ? `<${l.length}>` : l));
      const read = size <= MAX_INDEX_LINE_BYTES;
      t.same(from, ['{"b":2}', ...(read ? [`<${size}>`] : []), ...(lead > 1 ? [first.length > 21 ? `<${lead - 1}>` : first.trimEnd()] : [])], `from the end, a line of ${size} bytes after ${lead}: ${read ? 'read' : 'skipped'}`);
    }
  }
});

t.test('through the CLI: a damaged store is refused or passed over in seconds, never a hang or an internal error', async (t) => {
  const f = makeFixture();
  const env = { ENGINE_HOME: path.join(f.dir, 'home') };
  t.equal(engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'r', '--no-progress', '--max-ticks', '3'], { cwd: f.dir, env }).code, 1);
  const pristine = path.join(f.dir, 'pristine');
  cpSync(path.join(f.repo, '.engine'), pristine, { recursive: true });
  const runDir = path.join(f.repo, '.engine', 'runs', 'r');
  const reset = () => {
    rmSync(path.join(f.repo, '.engine'), { recursive: true, force: true });
    cpSync(pristine, path.join(f.repo, '.engine'), { recursive: true });
  };
  // A child with a deadline: a hang is a failure with a name, not tap's timeout.
  const cli = (args: string[]) => {
    const r = spawnSync('/usr/bin/env', [...bareNode, engineBin, ...args], { cwd: f.dir, env: childEnv(env), encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
    return { code: r.status, signal: r.signal, out: `${r.stdout}${r.stderr}` };
  };
  const cases: [string, () => void, string[], RegExp][] = [
    ['index.jsonl a FIFO', () => mkfifoAt(path.join(f.repo, '.engine', 'runs', 'index.jsonl')), ['report', '--all', '--repo', f.repo], /.*/],
    ['index.jsonl a link to /dev/zero', () => linkAt('/dev/zero', path.join(f.repo, '.engine', 'runs', 'index.jsonl')), ['report', '--all', '--repo', f.repo], /.*/],
    // Without the index, so that report reads each run's state.json.
    ['state.json nested 200,000 deep', () => { rmSync(path.join(f.repo, '.engine', 'runs', 'index.jsonl'), { force: true }); writeFileSync(path.join(runDir, 'state.json'), `{"seed":${'['.repeat(200_000)}${']'.repeat(200_000)}}`); }, ['report', '--all', '--repo', f.repo], /error E_NO_RUNS no run in \S+ can be read: 1 run directory whose state\.json cannot be read \(r\)/],
    // Beside a readable run: that one is reported, and the others are named, not passed over in silence.
    ['a second and a third run whose state.json is damaged or a FIFO', () => { rmSync(path.join(f.repo, '.engine', 'runs', 'index.jsonl'), { force: true }); for (const id of ['r2', 'r3']) cpSync(runDir, path.join(f.repo, '.engine', 'runs', id), { recursive: true }); writeFileSync(path.join(f.repo, '.engine', 'runs', 'r2', 'state.json'), '{"run_id":'); mkfifoAt(path.join(f.repo, '.engine', 'runs', 'r3', 'state.json')); }, ['report', '--all', '--repo', f.repo], /^(?=[\s\S]*warning W_RUN_RECORD 2 run directories of \S+ left out, their state\.json cannot be read: r2, r3 )(?=[\s\S]*\n\s+r\s+stopped)/],
    // With the index: a run's line stood while its state.json was cut short since (a review),
    // where a report without the index left the run out and said so. Now the same either way.
    ['state.json cut short after the index named the run', () => { t.equal(cli(['report', '--all', '--repo', f.repo]).code, 0, 'the index is made'); t.ok(existsSync(path.join(f.repo, '.engine', 'runs', 'index.jsonl'))); writeFileSync(path.join(runDir, 'state.json'), readFileSync(path.join(runDir, 'state.json'), 'utf8').slice(0, 100)); }, ['report', '--all', '--repo', f.repo], /error E_NO_RUNS no run in \S+ can be read: 1 run directory whose state\.json cannot be read \(r\)/],
    ['state.json of 600 MB', () => truncateSync(path.join(runDir, 'state.json'), 600 * 2 ** 20), ['resume', 'r', '--repo', f.repo, '--no-progress'], /state\.json cannot be read \(.*more than 16777216\)/],
    ['env.json nested 200,000 deep', () => writeFileSync(path.join(runDir, 'env.json'), `{"os":${'['.repeat(200_000)}${']'.repeat(200_000)}}`), ['resume', 'r', '--repo', f.repo, '--no-progress'], /env\.json cannot be read/],
    ['the config manifest a FIFO', () => mkfifoAt(path.join(runDir, 'config', 'manifest.json')), ['resume', 'r', '--repo', f.repo, '--no-progress'], /config snapshot cannot be read/],
    ["a half-made run's lock a FIFO", () => halfMade(path.join(f.repo, '.engine', 'runs', 'half')), ['resume', 'half', '--repo', f.repo, '--no-progress'], /.*/],
  ];
  for (const [what, damage, args, said] of cases) {
    reset();
    damage();
    const r = cli(args);
    t.equal(r.signal, null, `${what}: ended on its own within the deadline`);
    t.not(r.code, 70, `${what}: no internal error (${r.out.slice(-300)})`);
    t.notMatch(r.out, /internal error|Maximum call stack|Invalid string length|heap out of memory/, what);
    t.match(r.out, said, what);
  }
  // The HTML page, passed on without the terminal's warnings, says what it leaves out too.
  reset();
  cases.find(([what]) => what.startsWith('a second and a third run'))![1]();
  const page = path.join(f.dir, 'page.html');
  const html = cli(['report', '--all', '--repo', f.repo, '--html', page]);
  t.equal(html.code, 0, html.out);
  t.match(readFileSync(page, 'utf8'), /<p class="note">2 run directories of \S+ left out, their state\.json cannot be read: r2, r3<\/p>/, 'the page names the runs it leaves out');
  t.notMatch(readFileSync(page, 'utf8'), new RegExp(f.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'by the store as the page labels it, no absolute path');
});

function mkfifoAt(file: string): void {
  rmSync(file, { force: true });
  mkdirSync(path.dirname(file), { recursive: true });
  if (!mkfifo(file)) throw new Error(`mkfifo ${file}`);
}

function linkAt(target: string, file: string): void {
  rmSync(file, { force: true });
  symlinkSync(target, file);
}

function halfMade(dir: string): void {
  mkdirSync(dir, { recursive: true });
  mkfifoAt(path.join(dir, 'run.lock'));
  writeFileSync(path.join(dir, 'creating.json'), readFileSync('/dev/null', 'utf8') || '{}');
}
