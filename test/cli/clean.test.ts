import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeFixture, engine, engineHere, testEngineHome, workspaceOf } from '../helpers/run-fixture.js';
import { planClean, type CleanCandidate } from '../../engine/store/plan-clean.js';

const day = 86_400_000;
const c = (runId: string, status: CleanCandidate['status'], extra: Partial<CleanCandidate> = {}): CleanCandidate => ({ runId, workspace: `/ws/${runId}`, status, locked: false, updatedMs: 0, engineMade: true, ...extra });

t.test('planClean: completed runs and orphans go, resumable ones only when asked, a driven run always stays, --older-than counts days', async (t) => {
  const now = 10 * day;
  const all = [c('done', 'completed'), c('orphan', null), c('stopped', 'stopped'), c('crashed', 'running'), c('live', 'running', { locked: true }), c('fresh', 'completed', { updatedMs: now - day / 2 })];
  t.same(planClean(all, { olderThanDays: 1, nowMs: now }).map((p) => [p.candidate.runId, p.remove, p.reason]), [
    ['done', true, 'completed: its branch holds the result'],
    ['orphan', true, 'orphan: no run record in the store'],
    ['stopped', false, 'stopped run: resumable (engine resume stopped); --resumable removes it'],
    ['crashed', false, 'crashed run: resumable (engine resume crashed); --resumable removes it'],
    ['live', false, 'being driven by a live engine'],
    ['fresh', false, 'changed less than 1 day(s) ago'],
  ]);
  t.same(planClean(all, { olderThanDays: 1, nowMs: now, resumable: true }).map((p) => [p.candidate.runId, p.remove, p.reason]).slice(2, 5), [
    ['stopped', true, 'stopped run: it can no longer be resumed (its branch keeps every checkpoint, not the work since the last)'],
    ['crashed', true, 'crashed run: it can no longer be resumed (its branch keeps every checkpoint, not the work since the last)'],
    ['live', false, 'being driven by a live engine'],
  ], '--resumable: stopped and crashed runs too, never a driven one');
  const any = planClean([c('stopped', 'stopped', { updatedMs: now }), c('live', 'running', { locked: true })], { olderThanDays: null, nowMs: now, resumable: true });
  t.same(any.map((p) => p.remove), [true, false], 'without --older-than age does not matter');
  // A completed run that kept changes no checkpoint took: they are nowhere else.
  const kept = [c('kept', 'completed', { kept: true })];
  t.same(planClean(kept, { olderThanDays: null, nowMs: now }).map((p) => [p.remove, p.reason]), [[false, 'completed with changes no checkpoint took: they are only in this workspace; --resumable removes it']]);
  t.same(planClean(kept, { olderThanDays: null, nowMs: now, resumable: true }).map((p) => [p.remove, p.reason]), [[true, 'completed with changes no checkpoint took: removed with them']]);
});

// The commands go through the CLI kernel in this process (`engineHere`), on the real clock:
// --older-than counts days of it.
t.test('engine clean reclaims completed runs and orphans, resumable ones with --resumable, --dry-run removes nothing, --older-than keeps recent ones, --all covers every repo', async (t) => {
  const f = makeFixture();
  const home = path.join(f.dir, 'home');
  const env = { ENGINE_HOME: home };
  const run = (id: string, extra: string[] = []) => engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress', ...extra], { cwd: f.dir, env });
  t.equal((await run('done')).code, 0);
  t.equal((await run('stopped', ['--max-ticks', '2'])).code, 1);
  const stoppedWs = JSON.parse(readFileSync(path.join(f.repo, '.engine', 'runs', 'stopped', 'state.json'), 'utf8')).workspace;
  t.ok(stoppedWs.startsWith(path.join(home, 'workspaces')), 'the workspace is under ENGINE_HOME');
  t.notOk(stoppedWs.startsWith(f.repo), 'and outside the repo');
  t.ok(existsSync(stoppedWs), 'a stopped run keeps its workspace');
  const doneState = JSON.parse(readFileSync(path.join(f.repo, '.engine', 'runs', 'done', 'state.json'), 'utf8'));
  t.notOk(existsSync(doneState.workspace), 'a completed run removed its own workspace');
  t.notOk(existsSync(`${doneState.workspace}.homes`), 'and its homes');
  // An orphan: a workspace whose run record is gone.
  const orphan = path.join(path.dirname(stoppedWs), 'ghost');
  mkdirSync(orphan, { recursive: true });
  writeFileSync(path.join(orphan, 'big.txt'), 'x'.repeat(4096));
  // As the engine leaves one: its git dir beside it, on the run's branch.
  mkdirSync(`${orphan}.git`);
  writeFileSync(path.join(`${orphan}.git`, 'HEAD'), 'ref: refs/heads/engine/ghost\n');

  const dry = await engineHere(['clean', '--repo', f.repo, '--dry-run', '--json'], { cwd: f.dir, env });
  t.equal(dry.code, 0, dry.stderr);
  const planned = JSON.parse(dry.stdout);
  t.same(planned.runs.map((r: { run_id: string; removed: boolean }) => [r.run_id, r.removed]), [['ghost', true], ['stopped', false]]);
  t.ok(planned.freed_bytes >= 4096, "the orphan's bytes are counted");
  t.ok(existsSync(orphan) && existsSync(stoppedWs), '--dry-run removed nothing');

  // The doctor in a process of its own: it reads ENGINE_HOME from the process's environment.
  const doctor = engine(['doctor', '--repo', f.repo, '--json'], { cwd: f.dir, env });
  const orphans = JSON.parse(doctor.stdout).checks.find((x: { id: string }) => x.id === 'workspaces.orphans');
  t.equal(orphans?.status, 'warn', 'doctor warns about the orphan');
  t.match(orphans?.message, /ghost/);

  const recent = await engineHere(['clean', '--repo', f.repo, '--older-than', '1'], { cwd: f.dir, env });
  t.equal(recent.code, 0, recent.stderr);
  t.match(recent.stdout, /^kept\s+stopped .*changed less than 1 day/m);
  t.ok(existsSync(stoppedWs), '--older-than keeps a run written today');

  // A second repo's finished run, to show --all reaches beyond --repo.
  const g = makeFixture();
  t.equal((await engineHere(['run', g.pipelineFile, '--repo', g.repo, '--goal', 'g', '--policy', g.policyFile, '--run-id', 'other', '--no-progress', '--max-ticks', '2'], { cwd: g.dir, env })).code, 1);
  const otherWs = workspaceOf(g.repo, 'other');
  t.ok(existsSync(otherWs));

  const kept = await engineHere(['clean', '--repo', f.repo], { cwd: f.dir, env });
  t.equal(kept.code, 0, kept.stderr);
  t.match(kept.stdout, /^removed\s+ghost/m);
  t.match(kept.stdout, /^kept\s+stopped .*resumable \(engine resume stopped\); --resumable removes it/m);
  t.ok(existsSync(stoppedWs), "without --resumable a stopped run's workspace stays: it can be resumed");

  const clean = await engineHere(['clean', '--repo', f.repo, '--resumable'], { cwd: f.dir, env });
  t.equal(clean.code, 0, clean.stderr);
  t.match(clean.stdout, /^removed\s+stopped .*can no longer be resumed/m);
  t.match(clean.stdout, /^Freed \d/m);
  t.notOk(existsSync(orphan));
  t.notOk(existsSync(stoppedWs), "a stopped run's workspace is removed");
  t.notOk(existsSync(`${stoppedWs}.git`), "and the engine's git dir beside it");
  t.notOk(existsSync(`${stoppedWs}.homes`), 'and its homes');
  t.ok(existsSync(otherWs), "another repo's workspace is not this repo's to clean");
  const resumed = await engineHere(['resume', 'stopped', '--repo', f.repo], { cwd: f.dir, env });
  t.equal(resumed.code, 2, 'a resume of a cleaned run is refused as bad input');
  t.match(resumed.stderr, /workspace .* is gone/);

  const everything = await engineHere(['clean', '--all', '--resumable', '--json'], { cwd: f.dir, env });
  t.equal(everything.code, 0, everything.stderr);
  t.same(JSON.parse(everything.stdout).runs.map((r: { run_id: string; removed: boolean }) => [r.run_id, r.removed]), [['other', true]]);
  t.notOk(existsSync(otherWs), '--all cleans every repo under the workspaces root');
  void testEngineHome;
});

t.test('a forged or damaged state.json (sandbox off, a worker can rewrite it) is never an internal error; its workspace is kept unless --resumable', async (t) => {
  // `"workspace": 5` made clean --dry-run and clean --all exit 70: one forged store stopped
  // the cleaning of every repo. Then a review: a stopped run's state.json cut short made its
  // workspace an "orphan" that a plain clean removed, with the work since its last checkpoint.
  const f = makeFixture();
  const env = { ENGINE_HOME: path.join(f.dir, 'home') };
  t.equal((await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'forged', '--no-progress', '--max-ticks', '2'], { cwd: f.dir, env })).code, 1);
  const stateFile = path.join(f.repo, '.engine', 'runs', 'forged', 'state.json');
  const honest = JSON.parse(readFileSync(stateFile, 'utf8'));
  const forgeries: [string, string][] = [
    ['workspace a number', JSON.stringify({ ...honest, workspace: 5 })],
    ['status unknown', JSON.stringify({ ...honest, status: 'paused' })],
    ['updated_at an object', JSON.stringify({ ...honest, updated_at: {} })],
    ['null', 'null'],
    ['a list', '[]'],
    ['not JSON', '{"workspace":'],
  ];
  for (const [what, text] of forgeries) {
    writeFileSync(stateFile, text);
    for (const args of [['--repo', f.repo, '--dry-run', '--json'], ['--all', '--dry-run', '--json']]) {
      const r = await engineHere(['clean', ...args], { cwd: f.dir, env });
      t.equal(r.code, 0, `${what}, clean ${args.join(' ')}: ${r.stderr}`);
      const listed = JSON.parse(r.stdout).runs.find((x: { run_id: string }) => x.run_id === 'forged');
      t.same([listed?.status, listed?.removed], [null, false], `${what}: the workspace is kept`);
      t.match(listed?.reason, /its run record \(state\.json\) is there but cannot be read: .*--resumable removes it/);
    }
  }
  t.equal((await engineHere(['clean', '--all'], { cwd: f.dir, env })).code, 0);
  t.ok(existsSync(honest.workspace), 'a plain clean --all keeps it');
  const r = await engineHere(['clean', '--all', '--resumable'], { cwd: f.dir, env });
  t.equal(r.code, 0, r.stderr);
  t.notOk(existsSync(honest.workspace), 'clean --all --resumable removes it');
});

// A new user's probe: a stopped, resumable run started with --store X; a plain `engine clean`
// (the default store) called its workspace an orphan and removed it, and `engine resume`
// then failed ("workspace is gone"). Workspaces belong to the repo, runs to a store: the
// engine's git dir of each workspace names its run's directory, wherever that store is.
t.test('a resumable run recorded in another store keeps its workspace; a workspace whose run is gone is still an orphan', async (t) => {
  const f = makeFixture();
  const env = { ENGINE_HOME: path.join(f.dir, 'home') };
  const other = path.join(f.dir, 'other-store');
  const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'elsewhere', '--store', other, '--max-ticks', '2', '--no-progress'], { cwd: f.dir, env });
  t.equal(r.code, 1, r.stderr);
  const ws = JSON.parse(readFileSync(path.join(other, 'elsewhere', 'state.json'), 'utf8')).workspace as string;
  const dry = await engineHere(['clean', '--repo', f.repo, '--dry-run', '--json'], { cwd: f.dir, env });
  t.equal(dry.code, 0, dry.stderr);
  const planned = JSON.parse(dry.stdout) as { runs: { run_id: string; removed: boolean; reason: string }[] };
  const entry = planned.runs.find((x) => x.run_id === 'elsewhere');
  t.equal(entry?.removed, false, `kept: ${entry?.reason}`);
  t.match(entry?.reason ?? '', /resumable/);
  t.equal((await engineHere(['clean', '--repo', f.repo], { cwd: f.dir, env })).code, 0);
  t.ok(existsSync(ws), 'the workspace is still there');
  // Its record in the other store cut short (a review): kept as one that cannot be read, not an orphan.
  const stateFile = path.join(other, 'elsewhere', 'state.json');
  const whole = readFileSync(stateFile, 'utf8');
  writeFileSync(stateFile, whole.slice(0, 10));
  const damaged = JSON.parse((await engineHere(['clean', '--repo', f.repo, '--dry-run', '--json'], { cwd: f.dir, env })).stdout) as { runs: { run_id: string; removed: boolean; reason: string }[] };
  t.match(damaged.runs.find((x) => x.run_id === 'elsewhere'), { removed: false, reason: /its run record \(state\.json\) is there but cannot be read/ });
  writeFileSync(stateFile, whole);
  const resumed = await engineHere(['resume', 'elsewhere', '--repo', f.repo, '--store', other, '--no-progress'], { cwd: f.dir, env });
  t.equal(resumed.code, 0, resumed.stderr);
  // Its run removed from the other store: now an orphan, cleaned.
  const s2 = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'gone', '--store', other, '--max-ticks', '2', '--no-progress'], { cwd: f.dir, env });
  t.equal(s2.code, 1, s2.stderr);
  const goneWs = JSON.parse(readFileSync(path.join(other, 'gone', 'state.json'), 'utf8')).workspace as string;
  rmSync(path.join(other, 'gone'), { recursive: true });
  const cleaned = JSON.parse((await engineHere(['clean', '--repo', f.repo, '--json'], { cwd: f.dir, env })).stdout) as { runs: { run_id: string; removed: boolean; reason: string }[] };
  t.match(cleaned.runs.find((x) => x.run_id === 'gone'), { removed: true, reason: /orphan/ });
  t.notOk(existsSync(goneWs));
});

// A new user's review: after `engine clean --resumable` the branches of stopped runs that never
// reached a checkpoint stayed in the repository, each at the commit the run started from.
t.test('clean removes the branch of a run whose workspace it removes when nothing is on it; a branch someone moved or checked out, or one a forged record names, stays', async (t) => {
  const f = makeFixture();
  const env = { ENGINE_HOME: path.join(f.dir, 'home') };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: f.repo, encoding: 'utf8' }).trim();
  const stop = async (id: string, ticks = '2') => t.equal((await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress', '--max-ticks', ticks], { cwd: f.dir, env })).code, 1);
  for (const id of ['bare', 'moved', 'forged', 'checked']) await stop(id);
  await stop('ahead', '5');
  const base = git('rev-parse', 'engine/bare');
  t.equal(git('rev-parse', 'main'), base, 'a stopped run before its first checkpoint: its branch is at the base');
  const ahead = git('rev-parse', 'engine/ahead');
  t.not(ahead, base, 'a run stopped after a checkpoint: its branch is ahead');
  // A worker rewrites that run's record so that its base is the checkpoint: the branch would
  // look untouched by the record alone.
  const aheadState = path.join(f.repo, '.engine', 'runs', 'ahead', 'state.json');
  writeFileSync(aheadState, JSON.stringify({ ...JSON.parse(readFileSync(aheadState, 'utf8')), base_sha: ahead }));
  // The user has one run's branch checked out in a worktree of theirs.
  const userTree = path.join(f.dir, 'user-tree');
  git('worktree', 'add', '-q', userTree, 'engine/checked');
  // The user commits onto one run's branch.
  git('commit', '-q', '--allow-empty', '-m', 'mine');
  const mine = git('rev-parse', 'HEAD');
  git('reset', '-q', '--hard', base);
  git('update-ref', 'refs/heads/engine/moved', mine);
  // Without the OS sandbox a worker can rewrite a record: one naming the user's main, at its sha.
  const forgedState = path.join(f.repo, '.engine', 'runs', 'forged', 'state.json');
  writeFileSync(forgedState, JSON.stringify({ ...JSON.parse(readFileSync(forgedState, 'utf8')), branch: 'main', base_sha: base }));

  const dry = await engineHere(['clean', '--repo', f.repo, '--resumable', '--dry-run', '--json'], { cwd: f.dir, env });
  t.equal(dry.code, 0, dry.stderr);
  const said = Object.fromEntries(JSON.parse(dry.stdout).runs.map((r: { run_id: string; removed: boolean; branch_removed: boolean; branch: { name: string } | null }) => [r.run_id, [r.removed, r.branch?.name ?? null, r.branch_removed]]));
  t.same(said, { ahead: [true, 'engine/ahead', false], bare: [true, 'engine/bare', true], checked: [true, 'engine/checked', false], moved: [true, 'engine/moved', false], forged: [true, null, false] });
  t.equal(git('rev-parse', 'engine/bare'), base, '--dry-run removes no branch');

  const r = await engineHere(['clean', '--repo', f.repo, '--resumable'], { cwd: f.dir, env });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^removed\s+bare .*; its branch engine\/bare, still at the base, removed$/m);
  t.notMatch(r.stdout, /its branch engine\/(moved|forged|checked|ahead)/);
  const branches = git('for-each-ref', '--format=%(refname:short) %(objectname)', 'refs/heads/').split('\n').sort();
  t.same(branches, [`engine/ahead ${ahead}`, `engine/checked ${base}`, `engine/forged ${base}`, `engine/moved ${mine}`, `main ${base}`], "only the bare run's branch is gone: the moved one, the checked-out one, the one a forged base names, main and the forged record's run branch stay");
  t.equal(execFileSync('git', ['symbolic-ref', 'HEAD'], { cwd: userTree, encoding: 'utf8' }).trim(), 'refs/heads/engine/checked', "the user's worktree is still on its branch");
});
