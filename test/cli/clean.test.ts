import t from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeFixture, engine, testEngineHome, workspaceOf } from '../helpers/run-fixture.js';
import { planClean, type CleanCandidate } from '../../engine/store/plan-clean.js';

const day = 86_400_000;
const c = (runId: string, status: CleanCandidate['status'], extra: Partial<CleanCandidate> = {}): CleanCandidate => ({ runId, workspace: `/ws/${runId}`, status, locked: false, updatedMs: 0, ...extra });

t.test('planClean: completed and orphaned go, stopped stay unless --all, a driven run always stays, --older-than counts days', async (t) => {
  const now = 10 * day;
  const plan = planClean([c('done', 'completed'), c('orphan', null), c('stopped', 'stopped'), c('crashed', 'running'), c('live', 'running', { locked: true }), c('fresh', 'completed', { updatedMs: now - day / 2 })], { all: false, olderThanDays: 1, nowMs: now });
  t.same(plan.map((p) => [p.candidate.runId, p.remove, p.reason]), [
    ['done', true, 'completed: its branch holds the result'],
    ['orphan', true, 'orphan: no run record in the store'],
    ['stopped', false, 'stopped run: kept for `engine resume` (--all removes it)'],
    ['crashed', false, 'crashed run: kept for `engine resume` (--all removes it)'],
    ['live', false, 'being driven by a live engine'],
    ['fresh', false, 'changed less than 1 day(s) ago'],
  ]);
  const all = planClean([c('stopped', 'stopped'), c('live', 'running', { locked: true })], { all: true, olderThanDays: null, nowMs: now });
  t.same(all.map((p) => p.remove), [true, false]);
});

t.test('engine clean reclaims finished runs: a stopped run is kept until --all, orphans go, --dry-run removes nothing', async (t) => {
  const f = makeFixture();
  const home = path.join(f.dir, 'home');
  const env = { ENGINE_HOME: home };
  const run = (id: string, extra: string[] = []) => engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress', ...extra], { cwd: f.dir, env });
  t.equal(run('done').code, 0);
  t.equal(run('stopped', ['--max-ticks', '2']).code, 1);
  const stoppedWs = JSON.parse(readFileSync(path.join(f.repo, '.engine', 'runs', 'stopped', 'state.json'), 'utf8')).workspace;
  t.ok(stoppedWs.startsWith(path.join(home, 'workspaces')), 'the workspace is under ENGINE_HOME');
  t.notOk(stoppedWs.startsWith(f.repo), 'and outside the repo');
  t.ok(existsSync(stoppedWs), 'a stopped run keeps its workspace');
  const doneState = JSON.parse(readFileSync(path.join(f.repo, '.engine', 'runs', 'done', 'state.json'), 'utf8'));
  t.notOk(existsSync(doneState.workspace), 'a completed run removed its own workspace');
  t.notOk(existsSync(path.join(f.repo, '.engine', 'runs', 'done', 'homes')), 'and its homes');
  // An orphan: a workspace whose run record is gone.
  const orphan = path.join(path.dirname(stoppedWs), 'ghost');
  mkdirSync(orphan, { recursive: true });
  writeFileSync(path.join(orphan, 'big.txt'), 'x'.repeat(4096));

  const dry = engine(['clean', '--repo', f.repo, '--dry-run', '--json'], { cwd: f.dir, env });
  t.equal(dry.code, 0, dry.stderr);
  const planned = JSON.parse(dry.stdout);
  t.same(planned.runs.map((r: { run_id: string; removed: boolean }) => [r.run_id, r.removed]), [['ghost', true], ['stopped', false]]);
  t.ok(planned.freed_bytes >= 4096, 'the orphan\'s bytes are counted');
  t.ok(existsSync(orphan), '--dry-run removed nothing');

  const doctor = engine(['doctor', '--repo', f.repo, '--json'], { cwd: f.dir, env });
  const orphans = JSON.parse(doctor.stdout).checks.find((x: { id: string }) => x.id === 'workspaces.orphans');
  t.equal(orphans?.status, 'warn', 'doctor warns about the orphan');
  t.match(orphans?.message, /ghost/);

  const clean = engine(['clean', '--repo', f.repo], { cwd: f.dir, env });
  t.equal(clean.code, 0, clean.stderr);
  t.match(clean.stdout, /^removed\s+ghost/m);
  t.match(clean.stdout, /^kept\s+stopped .*kept for `engine resume`/m);
  t.notOk(existsSync(orphan));
  t.ok(existsSync(stoppedWs));

  t.equal(engine(['clean', '--repo', f.repo, '--all'], { cwd: f.dir, env }).code, 0);
  t.notOk(existsSync(stoppedWs), '--all removes a stopped run\'s workspace');
  t.notOk(existsSync(`${stoppedWs}.git`), 'and the engine\'s git dir beside it');
  const resumed = engine(['resume', 'stopped', '--repo', f.repo], { cwd: f.dir, env });
  t.equal(resumed.code, 2, 'a resume of a cleaned run is refused as bad input');
  t.match(resumed.stderr, /workspace .* is gone/);
  void testEngineHome;
  void workspaceOf;
});
