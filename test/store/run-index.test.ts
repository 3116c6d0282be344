import t from 'tap';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appendRunIndex, formatIndexLine, MAX_INDEX_LINE_BYTES, parseIndexLine, readRunIndex, recentRunsFromIndex, RUN_INDEX, type RunIndexEntry } from '../../engine/store/run-index.js';
import { collectSamples } from '../../engine/kpi/collect-samples.js';

// The store's index of finished runs: one self-checking line per run, appended; readers
// trust only whole lines whose hash matches, and tier0_fast's history reads it from the end.

const repo = '/repos/target';

function entry(id: string, over: Partial<RunIndexEntry> = {}): RunIndexEntry {
  return {
    v: 2,
    run_id: id,
    dir: id,
    repo,
    status: 'completed',
    stop_reason: 'completed',
    goal: `goal ${id}`,
    task_kind: null,
    created_at: `2026-01-01T00:00:${id.slice(-2)}.000Z`,
    finished_at: `2026-01-01T00:00:${id.slice(-2)}.500Z`,
    timeline_bytes: 10,
    tier0: { runs: 1, passed: 1, last_pass: true },
    samples: collectSamples([]),
    milestones: [],
    run_verify: [],
    notes: [],
    ...over,
  };
}

/** A store with a run directory (a timeline of `bytes` bytes, a state) per entry. */
function storeWith(entries: RunIndexEntry[], opts: { index?: boolean } = {}) {
  const store = mkdtempSync(path.join(os.tmpdir(), 'engine-index-'));
  for (const e of entries) {
    mkdirSync(path.join(store, e.dir));
    writeFileSync(path.join(store, e.dir, 'timeline.jsonl'), 'x'.repeat(e.timeline_bytes));
    writeFileSync(path.join(store, e.dir, 'state.json'), JSON.stringify({ run_id: e.run_id, created_at: e.created_at, status: e.status, stop_reason: e.stop_reason, repo: e.repo }));
    if (opts.index !== false) appendRunIndex(store, e);
  }
  return store;
}

t.test('a line round-trips; any change to it, or a cut, makes it no entry', async (t) => {
  const e = entry('r01', { goal: 'ünïcödé\nwith a newline and "quotes"' });
  const line = formatIndexLine(e);
  t.ok(line.endsWith('}\n'));
  t.equal(line.split('\n').length, 2, 'one line, whatever the goal holds');
  t.strictSame(parseIndexLine(line.slice(0, -1)), e);
  t.equal(parseIndexLine(line.slice(0, -10)), null, 'a torn line');
  t.equal(parseIndexLine(line.slice(0, -1).replace('"completed"', '"stopped"')), null, 'an edited line: the hash no longer matches');
  t.equal(parseIndexLine('{"run_id":"r01"}'), null, 'another format');
  t.equal(parseIndexLine(''), null);
});

t.test('reading: the last line of a run wins; torn and altered lines are counted, not trusted', async (t) => {
  const store = storeWith([entry('r01'), entry('r02')]);
  appendRunIndex(store, entry('r01', { stop_reason: 'budget_exhausted', status: 'stopped' }));
  const file = path.join(store, RUN_INDEX);
  appendFileSync(file, formatIndexLine(entry('r03')).slice(0, 40));
  const idx = readRunIndex(store);
  t.equal(idx.exists, true);
  t.strictSame([...idx.entries.keys()], ['r02', 'r01']);
  t.equal(idx.entries.get('r01')!.stop_reason, 'budget_exhausted');
  t.equal(idx.superseded, 1);
  t.equal(idx.damaged, 1, 'the torn last line');
  // The next append closes the torn line first: the new line stands alone and is read.
  appendRunIndex(store, entry('r04'));
  const again = readRunIndex(store);
  t.ok(again.entries.has('r04'));
  t.equal(again.damaged, 1);
  t.equal(readRunIndex(path.join(store, 'nowhere')).exists, false);
});

t.test('reading crosses chunk boundaries: long lines, many lines, a character split between chunks', async (t) => {
  const store = mkdtempSync(path.join(os.tmpdir(), 'engine-index-'));
  t.teardown(() => rmSync(store, { recursive: true, force: true }));
  // Lines of every length around the 64 KiB chunk, goals of multi-byte characters (é is 2
  // bytes, … 3, 🦀 4) at every offset, so some chunk ends inside a character and inside a line.
  const wanted: RunIndexEntry[] = [];
  for (let i = 0; i < 300; i++) {
    const id = `r${String(i).padStart(3, '0')}`;
    // Every 50th goal spans two chunks; one spans some 30.
    const long = i === 150 ? 'z'.repeat(2_000_000) : i % 50 === 0 ? 'y'.repeat(70_000) : '';
    const goal = `${'x'.repeat((i * 977) % 3000)}é…🦀${'ü'.repeat(i % 7)}${long}`;
    wanted.push(entry(id, { goal, created_at: `2026-01-01T00:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000Z` }));
  }
  const text = wanted.map(formatIndexLine).join('');
  t.ok(Buffer.byteLength(text) > 4 * 64 * 1024, 'several chunks');
  // A last line without its newline (a torn write) is still a whole line when its hash holds.
  writeFileSync(path.join(store, RUN_INDEX), text.slice(0, -1));
  const idx = readRunIndex(store);
  t.equal(idx.damaged, 0);
  t.equal(idx.entries.size, wanted.length);
  t.ok(wanted.every((e) => idx.entries.get(e.dir)?.goal === e.goal), 'every goal read back exactly');
  // Cut inside the last line's multi-byte character: that line is damaged, the rest stand.
  const bytes = Buffer.from(text);
  const cut = bytes.lastIndexOf(Buffer.from('🦀')) + 2;
  writeFileSync(path.join(store, RUN_INDEX), bytes.subarray(0, cut));
  const torn = readRunIndex(store);
  t.equal(torn.damaged, 1);
  t.equal(torn.entries.size, wanted.length - 1);
});

t.test('tier0_fast history from the end of the index: the newest runs by creation, this run and other repos left out', async (t) => {
  const store = storeWith([entry('r01'), entry('r02', { repo: '/repos/other' }), entry('r03', { status: 'stopped', stop_reason: 'budget_exhausted' }), entry('r04'), entry('r05')]);
  t.strictSame(recentRunsFromIndex(store, repo, 'r05', 2)!.map((r) => r.run_id), ['r03', 'r04']);
  t.strictSame(recentRunsFromIndex(store, repo, 'r99', 3)!.map((r) => `${r.run_id} ${r.stop_reason}`), ['r03 budget_exhausted', 'r04 completed', 'r05 completed']);
  t.strictSame(recentRunsFromIndex(store, repo, 'r99', 10)!.map((r) => r.run_id), ['r01', 'r03', 'r04', 'r05'], 'fewer than asked: all there are');
  t.strictSame(recentRunsFromIndex(store, repo, 'r99', 0), []);
  t.equal(recentRunsFromIndex(mkdtempSync(path.join(os.tmpdir(), 'engine-index-none-')), repo, 'r99', 3), null, 'no index: the caller scans');
});

t.test('tier0_fast history: a run created earlier but finished later still counts by its creation time', async (t) => {
  // r02 started first and finished last: its line is the last one.
  const store = storeWith([entry('r01'), entry('r03'), entry('r02', { finished_at: '2026-01-01T00:00:09.000Z' })]);
  t.strictSame(recentRunsFromIndex(store, repo, 'r99', 2)!.map((r) => r.run_id), ['r02', 'r03']);
});

t.test('tier0_fast history: a deleted run is skipped, a resumed one is read from its state, a torn tail ignored', async (t) => {
  const store = storeWith([entry('r01'), entry('r02'), entry('r03')]);
  rmSync(path.join(store, 'r03'), { recursive: true });
  t.strictSame(recentRunsFromIndex(store, repo, 'r99', 2)!.map((r) => r.run_id), ['r01', 'r02'], 'the line of a missing run does not count');
  // r02 was resumed: its timeline grew and it runs again; it does not count while it runs.
  appendFileSync(path.join(store, 'r02', 'timeline.jsonl'), 'more');
  writeFileSync(path.join(store, 'r02', 'state.json'), JSON.stringify({ run_id: 'r02', created_at: entry('r02').created_at, status: 'running', stop_reason: null, repo }));
  t.strictSame(recentRunsFromIndex(store, repo, 'r99', 2)!.map((r) => r.run_id), ['r01']);
  // It stopped again, red: its state says so, the index line (green) is stale.
  writeFileSync(path.join(store, 'r02', 'state.json'), JSON.stringify({ run_id: 'r02', created_at: entry('r02').created_at, status: 'stopped', stop_reason: 'verification_failed', repo }));
  t.strictSame(recentRunsFromIndex(store, repo, 'r99', 2)!.map((r) => `${r.run_id} ${r.stop_reason}`), ['r01 completed', 'r02 verification_failed']);
  appendFileSync(path.join(store, RUN_INDEX), formatIndexLine(entry('r04')).slice(0, 100));
  mkdirSync(path.join(store, 'r04'));
  writeFileSync(path.join(store, 'r04', 'timeline.jsonl'), 'x'.repeat(10));
  t.strictSame(recentRunsFromIndex(store, repo, 'r99', 2)!.map((r) => r.run_id), ['r01', 'r02'], 'a torn last line is no run');
});

t.test('reading from the end crosses block boundaries (lines longer than a block, many lines)', async (t) => {
  const many = Array.from({ length: 300 }, (_, i) => entry(`r${String(i).padStart(3, '0')}`, { created_at: `2026-01-01T00:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000Z`, finished_at: `2026-01-01T01:00:${String(i % 60).padStart(2, '0')}.000Z`, goal: i === 150 ? 'g'.repeat(200_000) : 'g' }));
  const store = storeWith(many);
  t.ok(readFileSync(path.join(store, RUN_INDEX)).length > 3 * 64 * 1024);
  const ids = (n: number) => recentRunsFromIndex(store, repo, 'none', n)!.map((r) => r.run_id);
  t.strictSame(ids(3), ['r297', 'r298', 'r299']);
  t.strictSame(ids(300), many.map((e) => e.run_id), 'every line read back, the long one too');
});

t.test('an entry one byte past the line cap is damaged, read forward however it falls across the chunks; one at the cap is read', async (t) => {
  const store = mkdtempSync(path.join(os.tmpdir(), 'engine-index-cap-'));
  t.teardown(() => rmSync(store, { recursive: true, force: true }));
  const base = formatIndexLine(entry('r01', { goal: '' })).length - 1;
  const sized = (bytes: number) => formatIndexLine(entry('r01', { goal: 'g'.repeat(bytes - base) }));
  for (const lead of [0, 9, 65_000]) {
    const first = lead ? `${'x'.repeat(lead - 1)}\n` : '';
    for (const bytes of [MAX_INDEX_LINE_BYTES, MAX_INDEX_LINE_BYTES + 1, MAX_INDEX_LINE_BYTES + 60_000]) {
      const line = sized(bytes);
      t.equal(line.length - 1, bytes);
      writeFileSync(path.join(store, RUN_INDEX), `${first}${line}`);
      const read = readRunIndex(store);
      const within = bytes <= MAX_INDEX_LINE_BYTES;
      t.equal(read.entries.size, within ? 1 : 0, `${bytes} bytes after ${lead}: ${within ? 'read' : 'past the cap, skipped'}`);
      t.equal(read.damaged, (within ? 0 : 1) + (lead ? 1 : 0));
    }
  }
});

t.test("an index with another name (a hard link to a file outside the store) is neither read nor appended to", async (t) => {
  const store = storeWith([entry('r01')]);
  t.teardown(() => rmSync(store, { recursive: true, force: true }));
  const file = path.join(store, RUN_INDEX);
  // A file of the user's, linked at the index's name, shaped as the index would be.
  const user = path.join(store, '..', `${path.basename(store)}-user.jsonl`);
  t.teardown(() => rmSync(user, { force: true }));
  writeFileSync(user, formatIndexLine(entry('r02', { goal: 'SECRET' })));
  rmSync(file);
  linkSync(user, file);
  t.equal(readRunIndex(store).exists, false, 'read as no index: the store is scanned');
  t.equal(recentRunsFromIndex(store, repo, 'self', 5), null, "tier0_fast's history scans the store too");
  const before = readFileSync(user, 'utf8');
  t.throws(() => appendRunIndex(store, entry('r03')), { code: 'EMLINK' }, 'an append is refused');
  t.equal(readFileSync(user, 'utf8'), before, "nothing appended to the user's file");
});
