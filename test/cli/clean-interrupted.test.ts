// test cost: about 10 s: a run in a repo of 20,000 files, its workspace's removal killed partway.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bareNode, childEnv, engine, engineBin } from '../helpers/run-fixture.js';
import { makeFixture as makeInstantFixture } from '../../bench/fixtures/instant-run.mjs';
import { cleanRuns } from '../../engine/store/clean-runs.js';
import { planClean, type CleanCandidate } from '../../engine/store/plan-clean.js';

// `engine clean --resumable` killed while it removed a stopped run's workspace (a Ctrl-C, a
// full machine, a CI job's timeout) left half a workspace, and `engine resume` took what was
// missing for the user's edits ("the workspace was changed by hand since the run stopped",
// resume with --force): the run looked resumable, and --force put back a workspace the user
// had asked to remove. The removal is marked before it begins, so what an interrupted one
// leaves is known for what it is: resume refuses it, and the next clean finishes it.

const FILES = 20_000;

/** Kills the child (SIGKILL) once the removal of `lib` under `ws` has begun and is not over. Whether it was caught partway. */
function killPartway(child: ChildProcess, ws: string): boolean {
  const lib = path.join(ws, 'lib');
  const whole = readdirSync(lib).length;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    let left: number;
    try {
      left = readdirSync(lib).length;
    } catch {
      left = 0;
    }
    if (left < whole) {
      child.kill('SIGKILL');
      return left > 0;
    }
  }
  child.kill('SIGKILL');
  return false;
}

t.test('a clean killed while it removes a workspace: resume says so (not hand edits), and the next clean finishes it', async (t) => {
  const f = makeInstantFixture(1, 'off', FILES);
  const env = { ENGINE_HOME: path.join(f.dir, 'home') };
  const stopped = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'r1', '--max-ticks', '1', '--no-progress'], { cwd: f.dir, env });
  t.equal(stopped.code, 1, stopped.stderr);
  const ws: string = JSON.parse(readFileSync(path.join(f.repo, '.engine', 'runs', 'r1', 'state.json'), 'utf8')).workspace;
  t.equal(readdirSync(path.join(ws, 'lib')).length, FILES / 100, 'the stopped run keeps its workspace, every file in it');

  const child = spawn('/usr/bin/env', [...bareNode, engineBin, 'clean', '--repo', f.repo, '--resumable'], { cwd: f.dir, env: childEnv(env), stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const partway = killPartway(child, ws);
  t.equal(await exited, 'SIGKILL', 'the clean was killed');
  t.ok(partway && existsSync(ws), 'partway through the workspace: some of it is gone, some is left');

  const resumed = engine(['resume', 'r1', '--repo', f.repo, '--no-progress'], { cwd: f.dir, env });
  t.equal(resumed.code, 2, resumed.stderr);
  t.notMatch(resumed.stderr, /changed by hand/, 'what the removal took is not called hand edits');
  t.match(resumed.stderr, /error E_RESUME the run's workspace \S+ was being removed \(`engine clean`, or the end of a run, stopped partway\): what is left of it cannot be resumed; `engine clean` finishes removing it; start a new run/);
  const forced = engine(['resume', 'r1', '--repo', f.repo, '--no-progress', '--force'], { cwd: f.dir, env });
  t.equal(forced.code, 2, 'nor does --force bring it back');
  t.ok(existsSync(ws), 'resume left what there is alone');

  const cleaned = engine(['clean', '--repo', f.repo], { cwd: f.dir, env });
  t.equal(cleaned.code, 0, cleaned.stderr);
  t.match(cleaned.stdout, /^removed\s+r1\s+.*its removal was interrupted partway: what is left of it goes[;\n]/m, 'a plain clean finishes it, with no --resumable');
  const folder = path.dirname(ws);
  t.same(existsSync(folder) ? readdirSync(folder).filter((n) => n !== '.repo') : [], [], 'nothing of it is left: workspace, git dir, homes, mark');
  const after = engine(['resume', 'r1', '--repo', f.repo, '--no-progress'], { cwd: f.dir, env });
  t.equal(after.code, 2);
  t.match(after.stderr, /the run's workspace \S+ is gone/, 'then resume says the workspace is gone');
});

t.test('what a removal killed later leaves: a git dir without its HEAD, homes, or the mark alone; all of it goes, a driven run never', async (t) => {
  const c = (runId: string, extra: Partial<CleanCandidate>): CleanCandidate => ({ runId, workspace: `/ws/${runId}`, status: 'stopped', locked: false, updatedMs: Date.now(), engineMade: true, removing: true, ...extra });
  const plan = planClean([c('half', { engineMade: false }), c('young', {}), c('live', { locked: true })], { olderThanDays: 7, nowMs: Date.now() });
  t.same(plan.map((p) => [p.candidate.runId, p.remove]), [['half', true], ['young', true], ['live', false]], 'whatever its age or its git dir, never while an engine drives it');

  const folder = path.join(mkdtempSync(path.join(os.tmpdir(), 'engine-clean-mark-')), 'repo-12345678');
  mkdirSync(path.join(folder, 'r8.git'), { recursive: true });
  writeFileSync(path.join(folder, 'r8.git', 'index'), 'half of a git dir: its HEAD went first');
  mkdirSync(path.join(folder, 'r8.homes', 'implementer'), { recursive: true });
  writeFileSync(path.join(folder, '.r8.removing'), '');
  writeFileSync(path.join(folder, '.r9.removing'), '');
  mkdirSync(path.join(folder, 'r7'));
  writeFileSync(path.join(folder, 'r7', 'mine.txt'), 'no mark, no engine git dir: not the engine\'s\n');
  const runs = cleanRuns(folder, path.join(folder, '..', 'no-store'), { olderThanDays: null, nowMs: Date.now(), dryRun: false });
  t.same(runs.map((r) => [r.run_id, r.removed]), [['r7', false], ['r8', true], ['r9', true]]);
  t.same(readdirSync(folder), ['r7'], 'the marks and what they marked are gone; the folder that is not the engine\'s stays');
});
