import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeFixture, engineBin, bareNode, childEnv } from '../helpers/run-fixture.js';
import { fakeGit, realGit } from '../helpers/fake-git.js';

// The run's branch lives in the user's repository, where the user (or a worker that can write
// there, with no OS sandbox) can move it. A checkpoint that finds it moved commits nothing and
// stops the run with a governance violation that says how to put it back: never a crash, never
// a commit on top of what someone else put there.
t.test('a run branch moved by someone else under a checkpoint: a governance stop that says how to put it back, then resume completes', async (t) => {
  const f = makeFixture();
  const base = f.git('rev-parse', 'main');
  const other = f.git('commit-tree', `${base}^{tree}`, '-p', base, '-m', 'not the run');
  const mark = path.join(f.dir, 'moved');
  // The first time the engine moves the branch to a checkpoint, something moves it first.
  const bin = fakeGit(f.dir, 'moving-bin', `case "$*" in *"update-ref -m engine: checkpoint"*) if [ ! -e '${mark}' ]; then : > '${mark}'; ${realGit} -C '${f.repo}' update-ref refs/heads/engine/k ${other}; fi;; esac`);
  const env = childEnv({ PATH: `${bin}:${process.env.PATH}` });
  const args = ['--repo', f.repo, '--no-progress'];
  const run = spawnSync('/usr/bin/env', [...bareNode, engineBin, 'run', f.pipelineFile, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'k', ...args], { cwd: f.dir, env, encoding: 'utf8', timeout: 120_000 });
  t.equal(run.status, 3, `a governance stop, not an internal error\n${run.stderr}`);
  t.notMatch(run.stderr, /internal error/);
  const timeline = readFileSync(path.join(f.repo, '.engine', 'runs', 'k', 'timeline.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const violation = timeline.find((e) => e.type === 'governance.violation');
  t.same(violation?.violations, [{ path: 'refs/heads/engine/k', rule: 'user_repo', pattern: null }]);
  t.match(timeline.at(-1), { type: 'run.finished', stop_reason: 'governance_violation' });
  t.match(readFileSync(path.join(f.repo, '.engine', 'runs', 'k', 'memo.md'), 'utf8') + run.stdout, `set it back (git branch -f engine/k ${base})`);
  t.equal(f.git('rev-parse', 'engine/k'), other, 'the branch is left where it was found: nothing committed on it');

  f.git('branch', '-f', 'engine/k', base);
  const resumed = spawnSync('/usr/bin/env', [...bareNode, engineBin, 'resume', 'k', ...args], { cwd: f.dir, env, encoding: 'utf8', timeout: 120_000 });
  t.equal(resumed.status, 0, `put back, the run resumes to its end\n${resumed.stderr}`);
  t.equal(f.git('rev-list', '--count', 'main..engine/k'), '2', 'two checkpoints on the run branch');
});
