import t from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeFixture, engineBin, bareNode, childEnv } from '../helpers/run-fixture.js';

// A new user's probe: Ctrl-C in the first second of `engine run` reached the engine's own git
// (the terminal signals its whole process group), and the run ended 70 ("a bug in the
// engine": git "failed") or 2 ("not a git repository"). A Ctrl-C is an interruption: 130.
// The engine's git runs outside the terminal's group; the engine decides what a signal ends.

/** A git that waits on its first command, long enough for a signal to come while it runs. */
function slowGit(dir: string, mark: string): string {
  const bin = path.join(dir, 'slow-bin');
  mkdirSync(bin);
  const real = ['/usr/bin/git', '/bin/git', '/usr/local/bin/git'].find((g) => existsSync(g))!;
  // `${mark}.done` once the wait is over: a git the terminal's signal reached never gets there.
  writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nif [ ! -e '${mark}' ]; then : > '${mark}'; sleep 1; : > '${mark}.done'; fi\nexec ${real} "$@"\n`);
  chmodSync(path.join(bin, 'git'), 0o755);
  return bin;
}

t.test('Ctrl-C while the engine\'s git runs before the run begins: 130, not 70 or 2, and nothing made', async (t) => {
  const f = makeFixture();
  const mark = path.join(f.dir, 'git-began');
  const bin = slowGit(f.dir, mark);
  // Its own process group, as a terminal's foreground job: the signal goes to the whole group.
  const p = spawn('/usr/bin/env', [...bareNode, engineBin, 'run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'early', '--no-progress'], {
    cwd: f.dir,
    env: childEnv({ PATH: `${bin}:${process.env.PATH}` }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  p.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => p.on('close', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 30_000;
  while (!existsSync(mark) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  t.ok(existsSync(mark), 'the engine began its first git command');
  process.kill(-p.pid!, 'SIGINT');
  const end = await exited;
  t.equal(end.code, 130, `exit 130: ${stderr}`);
  t.notMatch(stderr, /internal error|E_USAGE/, 'no bug report, no usage error');
  t.match(stderr, /interrupted by SIGINT before the run began: nothing was made or changed/);
  t.ok(existsSync(`${mark}.done`), "the engine's git was not ended by the signal sent to the terminal's group: it ran to its end");
  const store = path.join(f.repo, '.engine', 'runs');
  t.same(existsSync(store) ? readdirSync(store).filter((n) => !n.endsWith('.jsonl')) : [], [], 'no run was made');
});
