import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { makeFixture, childEnv } from '../helpers/run-fixture.js';
import { fakeGit, startEngineJob } from '../helpers/fake-git.js';

// A new user's probe: Ctrl-C in the first second of `engine run` reached the engine's own git
// (the terminal signals its whole process group), and the run ended 70 ("a bug in the
// engine": git "failed") or 2 ("not a git repository"). A Ctrl-C is an interruption: 130.
// The engine's git runs outside the terminal's group; the engine decides what a signal ends.

/** A git that waits on its first command, long enough for a signal to come while it runs. */
function slowGit(dir: string, mark: string): string {
  // `${mark}.done` once the wait is over: a git the terminal's signal reached never gets there.
  return fakeGit(dir, 'slow-bin', `if [ ! -e '${mark}' ]; then : > '${mark}'; sleep 1; : > '${mark}.done'; fi`);
}

t.test('Ctrl-C while the engine\'s git runs before the run begins: 130, not 70 or 2, and nothing made', async (t) => {
  const f = makeFixture();
  const mark = path.join(f.dir, 'git-began');
  const bin = slowGit(f.dir, mark);
  // As a terminal's foreground job: the signal goes to the whole group.
  const p = await startEngineJob(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'early', '--no-progress'], { cwd: f.dir, env: childEnv({ PATH: `${bin}:${process.env.PATH}` }), mark });
  t.ok(existsSync(mark), 'the engine began its first git command');
  process.kill(-p.pid, 'SIGINT');
  const end = await p.exited;
  t.equal(end.code, 130, `exit 130: ${p.stderr()}`);
  t.notMatch(p.stderr(), /internal error|E_USAGE/, 'no bug report, no usage error');
  t.match(p.stderr(), /interrupted by SIGINT before the run began: nothing was made or changed/);
  t.ok(existsSync(`${mark}.done`), "the engine's git was not ended by the signal sent to the terminal's group: it ran to its end");
  const store = path.join(f.repo, '.engine', 'runs');
  t.same(existsSync(store) ? readdirSync(store).filter((n) => !n.endsWith('.jsonl')) : [], [], 'no run was made');
});
