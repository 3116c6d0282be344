import t, { type Test } from 'tap';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeFixture, engine } from '../helpers/run-fixture.js';
import { listRuns } from '../../engine/store/list-runs.js';
import { readReportRuns } from '../../engine/report/read-runs.js';
import { buildReport } from '../../engine/report/build-report.js';
import { determinismOf, readRepeatRun, renderDeterminism } from '../../engine/report/determinism.js';
import { renderText } from '../../engine/report/render-text.js';
import { resolvePolicy } from '../../engine/config/policy/resolve-policy.js';
import { readRunIndex, RUN_INDEX, formatIndexLine } from '../../engine/store/run-index.js';

// `report` reads finished runs from the store's index instead of their directories. Whatever
// state the index is in (fresh, missing, lacking a run, naming a deleted run, torn), the
// report is the one the run directories give, read the old way (every timeline, in process),
// and the index is repaired to match the store.

const f = makeFixture();
const env = {};
const store = path.join(f.repo, '.engine', 'runs');
const startRun = (id: string, extra: string[] = []) =>
  engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', `goal of ${id}`, '--policy', f.policyFile, '--run-id', id, '--no-progress', ...extra], { cwd: f.dir });
const first = startRun('r1');
const second = startRun('r2', ['--max-ticks', '2']);

/** A copy of the store with `copies` more runs: r1's records under new ids, created later. */
function storeCopy(copies: number): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'engine-index-store-')), 'runs');
  cpSync(store, dir, { recursive: true });
  for (let i = 1; i <= copies; i++) {
    const id = `c${i}`;
    cpSync(path.join(store, 'r1'), path.join(dir, id), { recursive: true });
    const state = JSON.parse(readFileSync(path.join(dir, id, 'state.json'), 'utf8'));
    writeFileSync(path.join(dir, id, 'state.json'), JSON.stringify({ ...state, run_id: id, created_at: `2099-01-01T00:00:0${i}.000Z`, task: { ...state.task, goal: `copy ${i}` } }));
    // Its timeline names it too: a timeline whose run.started names another run is that run's (no KPIs here).
    const timeline = path.join(dir, id, 'timeline.jsonl');
    writeFileSync(timeline, readFileSync(timeline, 'utf8').replaceAll('"run_id":"r1"', `"run_id":"${id}"`));
  }
  return dir;
}

/** The report of every run read from the run directories, as before the index (in process). */
async function directReport(dir: string) {
  const policy = await resolvePolicy({ repo: f.repo, files: [], sets: [], cwd: f.dir });
  const runs = listRuns(dir);
  const report = buildReport({ store: dir, runs: await readReportRuns(runs), targets: policy.policy!.kpi_targets });
  // The determinism section is read from each run's own records, with or without the index.
  const determinism = determinismOf(runs.map((r) => readRepeatRun(r.dir)).filter((r) => r !== null), policy.policy!.kpi_targets);
  return { json: JSON.parse(JSON.stringify(report)), text: renderText(report) + renderDeterminism(determinism) };
}

async function sameAsDirect(t: Test, dir: string, what: string) {
  const want = await directReport(dir);
  const json = engine(['report', '--all', '--json', '--store', dir, '--repo', f.repo], { cwd: f.dir, env });
  t.equal(json.code, 0, json.stderr);
  const doc = JSON.parse(json.stdout);
  t.strictSame({ store: doc.store, runs: doc.runs, across: doc.across }, want.json, `${what}: the JSON report is the one the directories give`);
  const text = engine(['report', '--all', '--store', dir, '--repo', f.repo], { cwd: f.dir, env });
  t.equal(text.code, 0, text.stderr);
  t.equal(text.stdout, want.text, `${what}: the text report too`);
}

const indexIds = (dir: string) => [...readRunIndex(dir).entries.keys()].sort();

t.test('each finished run leaves one line in the store index', async (t) => {
  t.equal(first.code, 0, first.stderr);
  t.equal(second.code, 1, second.stderr);
  const idx = readRunIndex(store);
  t.equal(idx.damaged, 0);
  t.strictSame([...idx.entries.keys()], ['r1', 'r2'], 'in the order the runs finished');
  t.match(idx.entries.get('r1'), { run_id: 'r1', status: 'completed', stop_reason: 'completed', goal: 'goal of r1', repo: f.repo, tier0: { runs: 2, passed: 2, last_pass: true }, timeline_bytes: readFileSync(path.join(store, 'r1', 'timeline.jsonl')).length });
  t.match(idx.entries.get('r2'), { status: 'stopped', stop_reason: 'budget_exhausted' });
  t.equal(readFileSync(path.join(store, RUN_INDEX), 'utf8').split('\n').filter(Boolean).length, 2);
});

t.test('a fresh index: the report equals the one read from the directories', async (t) => {
  await sameAsDirect(t, storeCopy(0), 'fresh');
});

t.test('a missing index: the same report, and the index is rebuilt with every finished run', async (t) => {
  const dir = storeCopy(2);
  rmSync(path.join(dir, RUN_INDEX));
  await sameAsDirect(t, dir, 'missing');
  t.strictSame(indexIds(dir), ['c1', 'c2', 'r1', 'r2']);
  const before = readFileSync(path.join(dir, RUN_INDEX), 'utf8');
  await sameAsDirect(t, dir, 'rebuilt');
  t.equal(readFileSync(path.join(dir, RUN_INDEX), 'utf8'), before, 'an index that matches the store is left as it is');
});

t.test('stale: a run directory not in the index, a line for a run that is gone', async (t) => {
  const dir = storeCopy(3);
  t.strictSame(indexIds(dir), ['r1', 'r2'], 'the copies are not in it yet');
  rmSync(path.join(dir, 'r2'), { recursive: true });
  await sameAsDirect(t, dir, 'stale');
  t.strictSame(indexIds(dir), ['c1', 'c2', 'c3', 'r1']);
});

t.test('a torn last line and an altered line: the same report, the index rewritten whole', async (t) => {
  const dir = storeCopy(1);
  const file = path.join(dir, RUN_INDEX);
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  writeFileSync(file, `${lines[0]!.replace('goal of r1', 'goal of rX')}\n${lines[1]}\n`);
  appendFileSync(file, formatIndexLine(readRunIndex(store).entries.get('r1')!).slice(0, 50));
  t.equal(readRunIndex(dir).damaged, 2);
  await sameAsDirect(t, dir, 'torn');
  const idx = readRunIndex(dir);
  t.equal(idx.damaged, 0);
  t.strictSame(indexIds(dir), ['c1', 'r1', 'r2']);
  t.equal(idx.entries.get('r1')!.goal, 'goal of r1', 'the altered line was not trusted');
});

t.test('a run whose timeline changed after its line was written is read from its directory', async (t) => {
  const dir = storeCopy(0);
  const tl = path.join(dir, 'r1', 'timeline.jsonl');
  const lines = readFileSync(tl, 'utf8').split('\n');
  lines[3] = 'this is not JSON';
  writeFileSync(tl, lines.join('\n'));
  await sameAsDirect(t, dir, 'changed timeline');
  t.match(readRunIndex(dir).entries.get('r1')!.notes, [/left out line 4 \(not JSON\)/]);
});

t.test('a run still going is never in the index and is read from its directory', async (t) => {
  const dir = storeCopy(1);
  const stateFile = path.join(dir, 'c1', 'state.json');
  writeFileSync(stateFile, JSON.stringify({ ...JSON.parse(readFileSync(stateFile, 'utf8')), status: 'running', stop_reason: null }));
  await sameAsDirect(t, dir, 'running');
  t.strictSame(indexIds(dir), ['r1', 'r2']);
  t.ok(existsSync(path.join(dir, RUN_INDEX)));
});

t.test('tier: auto in a store without an index: the index is built from the directories, the history read from it', async (t) => {
  const dir = storeCopy(2);
  rmSync(path.join(dir, RUN_INDEX));
  const policyFile = path.join(f.dir, 'fast.policy.yaml');
  writeFileSync(policyFile, readFileSync(f.policyFile, 'utf8').replace('verification:\n  tiers:\n', 'tier0_fast:\n  require_green_runs: 2\nverification:\n  tiers:\n    tier0_fast:\n      commands: ["test -d ."]\n'));
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--store', dir, '--goal', 'fast', '--policy', policyFile, '--run-id', 'z1', '--no-progress'], { cwd: f.dir });
  t.equal(r.code, 0, r.stderr);
  const selected = readFileSync(path.join(dir, 'z1', 'timeline.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.type === 'verify.selected' && e.step === 'verify');
  t.same(selected.map((e) => e.reason), ['auto: tier0_fast (1 file, 1 line; the last 2 runs completed)', 'auto: tier0_fast (1 file, 1 line; the last 2 runs completed)'], 'the two copies, the newest runs, completed');
  t.strictSame([...readRunIndex(dir).entries.keys()], ['r1', 'r2', 'c1', 'c2', 'z1'], 'built whole at the first auto step (oldest first), then the run itself at its end');
  await sameAsDirect(t, dir, 'after the run');
});

t.test('a line written before `scripted` and the review count existed is made again; a scripted run says so', async (t) => {
  const dir = storeCopy(1);
  // c1 becomes a scripted run (its task names a scenario); its index line and r1's are from before.
  const state = JSON.parse(readFileSync(path.join(dir, 'c1', 'state.json'), 'utf8'));
  writeFileSync(path.join(dir, 'c1', 'state.json'), JSON.stringify({ ...state, task: { ...state.task, scenario: '/x/demo.scenario.yaml' } }));
  const file = path.join(dir, RUN_INDEX);
  const old = [...readRunIndex(store).entries.values()].map(({ scripted: _s, ...e }) => ({ ...e, milestones: e.milestones.map(({ reviews: _r, review_verdict: _v, ...m }) => m) }));
  writeFileSync(file, old.map((e) => formatIndexLine(e as never)).join(''));
  t.equal(readRunIndex(dir).entries.get('r1')!.scripted, undefined);
  await sameAsDirect(t, dir, 'old lines');
  const idx = readRunIndex(dir);
  t.equal(idx.entries.get('r1')!.scripted, false);
  t.equal(idx.entries.get('c1')!.scripted, true);
  t.match(idx.entries.get('r1')!.milestones[0], { reviews: 1, review_verdict: 'approve' });
  const json = JSON.parse(engine(['report', 'c1', '--json', '--store', dir, '--repo', f.repo], { cwd: f.dir, env }).stdout);
  t.equal(json.runs[0].scripted, true);
});
