import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeFixture, engineBin, bareNode, childEnv } from '../helpers/run-fixture.js';
import { fakeGit, realGit, startEngineJob } from '../helpers/fake-git.js';
import { processAlive } from '../../engine/proc/spawn-group.js';

// Ctrl-C stops a run after the child it waits on has ended. When that child does not end (a
// git stuck on a lock or a network file system), a second Ctrl-C must stop the engine at once,
// take what it started with it, and leave a run that `engine resume` completes.

/**
 * A git that gets stuck for 30 s the first time the engine moves the run's branch to a
 * checkpoint: before it moves it, or once it has (the engine is then stopped between moving
 * the branch and recording the checkpoint).
 */
function stuckGit(dir: string, mark: string, when: 'before' | 'after', on = '*"update-ref -m engine: checkpoint"*'): string {
  // It does not end on SIGTERM (nor does its sleep, which inherits that): only SIGKILL ends it.
  const stuck = `echo $$ > '${mark}'; trap '' TERM; sleep 30; : > '${mark}.done'`;
  const checkpoint = when === 'before' ? `if [ ! -e '${mark}' ]; then ${stuck}; fi` : `if [ ! -e '${mark}' ]; then ${realGit} "$@"; s=$?; ${stuck}; exit $s; fi`;
  return fakeGit(dir, 'stuck-bin', `case "$*" in ${on}) ${checkpoint};; esac`);
}

/** `engine run` of the fixture as a terminal's job, once the stuck git has begun. */
function startUntilStuck(f: ReturnType<typeof makeFixture>, env: NodeJS.ProcessEnv, runId: string, mark: string) {
  return startEngineJob(['run', f.pipelineFile, '--goal', 'g', '--policy', f.policyFile, '--run-id', runId, '--repo', f.repo, '--no-progress'], { cwd: f.dir, env, mark });
}

for (const when of ['before', 'after'] as const)
t.test(`a second Ctrl-C while the engine waits on a git stuck ${when} moving the branch: it stops at once, the git goes, resume completes the run`, async (t) => {
  const f = makeFixture();
  const mark = path.join(f.dir, 'git-stuck');
  const env = childEnv({ PATH: `${stuckGit(f.dir, mark, when)}:${process.env.PATH}` });
  const p = await startUntilStuck(f, env, 'k', mark);
  t.ok(existsSync(mark), "the engine's git got stuck moving the branch to the first checkpoint");
  process.kill(-p.pid, 'SIGINT');
  // The first asks the run to stop once the git has ended. A second right after it is the
  // same Ctrl-C passed on by a wrapper (npm, 11 ms later), so the user's second press comes later.
  await new Promise((r) => setTimeout(r, 100));
  process.kill(-p.pid, 'SIGINT');
  await new Promise((r) => setTimeout(r, 1500));
  t.ok(processAlive(p.pid), 'a second signal right after the first is the same stop: the engine still waits');
  process.kill(-p.pid, 'SIGINT');
  const end = await p.exited;
  t.equal(end.code, 130, `exit 130: ${p.stderr()}`);
  const store = path.join(realpathSync(f.repo), '.engine', 'runs');
  t.match(p.stderr(), `engine: a second SIGINT: stopped at once, the processes it started were ended; the run is left as a crash leaves it, continue it with: engine resume k --store ${store}\n`);
  t.notMatch(p.stderr(), /internal error/);
  t.notOk(existsSync(`${mark}.done`), 'the engine did not wait for the stuck git');
  // Killed before the engine exited: gone at once, not 30 s later.
  const gitPid = Number(readFileSync(mark, 'utf8'));
  const gone = Date.now() + 1000;
  while (processAlive(gitPid) && Date.now() < gone) await new Promise((r) => setTimeout(r, 20));
  t.notOk(processAlive(gitPid), 'the stuck git, deaf to SIGTERM, was killed with the engine');

  // The command as said, from another folder.
  const resumed = spawnSync('/usr/bin/env', [...bareNode, engineBin, 'resume', 'k', '--store', store, '--no-progress'], { cwd: os.tmpdir(), env, encoding: 'utf8', timeout: 120_000 });
  t.equal(resumed.status, 0, `resume completes the run\n${resumed.stderr}`);
  // Moved before the stop or not, the branch holds each checkpoint once.
  t.equal(f.git('rev-list', '--count', 'main..engine/k'), '2', 'two checkpoints on the run branch');
  const timeline = readFileSync(path.join(f.repo, '.engine', 'runs', 'k', 'timeline.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const recorded = timeline.filter((e) => e.type === 'checkpoint.created').map((e) => e.sha);
  t.same(recorded, f.git('rev-list', '--reverse', 'main..engine/k').split('\n'), 'the checkpoints recorded are the commits on the branch');
  t.equal(f.git('show', 'engine/k:src/b.txt'), 'beta', "the second milestone's work is in the branch");
  t.notOk(existsSync(path.join(f.repo, '.git', 'refs', 'heads', 'engine', 'k.lock')), 'no lock file left in the repo');
});

t.test('a second Ctrl-C before the run began: it stops at once and says nothing can be resumed', async (t) => {
  const f = makeFixture();
  const mark = path.join(f.dir, 'git-stuck');
  // The first git the engine runs: it finds the repository.
  const env = childEnv({ PATH: `${stuckGit(f.dir, mark, 'before', '*')}:${process.env.PATH}` });
  const p = await startUntilStuck(f, env, 'early', mark);
  process.kill(-p.pid, 'SIGINT');
  await new Promise((r) => setTimeout(r, 1500));
  process.kill(-p.pid, 'SIGINT');
  t.equal((await p.exited).code, 130, p.stderr());
  t.match(p.stderr(), /engine: a second SIGINT: stopped at once, the processes it started were ended; the run had not begun: nothing of it was made\n/);
  t.notOk(existsSync(`${mark}.done`), 'the engine did not wait for the stuck git');
  const again = spawnSync('/usr/bin/env', [...bareNode, engineBin, 'run', f.pipelineFile, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'early', '--repo', f.repo, '--no-progress'], { cwd: f.dir, env, encoding: 'utf8', timeout: 120_000 });
  t.equal(again.status, 0, `the same run id runs again\n${again.stderr}`);
});

// Stopped while its workspace was being made: the run's directory is there, its first step is
// not. The message names the run (its id was the engine's to choose) and what clears it.
t.test('a second Ctrl-C while the workspace is made: it names the run, and resume clears what was made', async (t) => {
  const f = makeFixture();
  const mark = path.join(f.dir, 'git-stuck');
  const env = childEnv({ PATH: `${stuckGit(f.dir, mark, 'before', '*read-tree*')}:${process.env.PATH}` });
  const job = await startEngineJob(['run', f.pipelineFile, '--goal', 'g', '--policy', f.policyFile, '--repo', f.repo, '--no-progress'], { cwd: f.dir, env, mark });
  t.ok(existsSync(mark), "the engine's git got stuck making the workspace");
  process.kill(-job.pid, 'SIGINT');
  await new Promise((r) => setTimeout(r, 1500));
  process.kill(-job.pid, 'SIGINT');
  t.equal((await job.exited).code, 130, job.stderr());
  const [, id, store] = /the run (\S+) had not begun: nothing of it can be resumed; what was made of it is removed by `engine resume \1 --store (\S+)` or a new `engine run --run-id \1` in the same store\n/.exec(job.stderr()) ?? [];
  t.ok(id, `the run is named: ${job.stderr()}`);
  t.equal(store, path.join(realpathSync(f.repo), '.engine', 'runs'), 'with its store');
  // The command as said, from another folder.
  const resumed = spawnSync('/usr/bin/env', [...bareNode, engineBin, 'resume', id ?? '-', '--store', store ?? '-', '--no-progress'], { cwd: os.tmpdir(), env: childEnv(), encoding: 'utf8', timeout: 120_000 });
  t.equal(resumed.status, 2, resumed.stderr);
  t.match(resumed.stderr, /was stopped while it was being created, before its first step, so there is nothing to resume; removed what it had made/);
  t.notOk(existsSync(path.join(f.repo, '.engine', 'runs', id ?? '-')), 'and it is gone');
});
