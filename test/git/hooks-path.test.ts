import t from 'tap';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runGit } from '../../engine/git/run-git.js';
import { git, makeRepo, plantCommand, readLog, tempDir } from './fixtures/repo.js';

// The engine's git runs with a hooks path no one can write into. An empty directory of the
// engine's own in the temp dir was a place a worker without a sandbox (the same user) could
// find and fill, and each engine process left one behind.

const hookDirs = () => readdirSync(os.tmpdir()).filter((n) => n.startsWith('engine-no-hooks-'));

t.test("a worker planting hooks in every directory of the temp dir runs nothing in the engine's git", async (t) => {
  const repo = makeRepo(t);
  const target = { gitDir: path.join(repo, '.git'), workTree: repo };
  const head = git(repo, 'rev-parse', 'HEAD');
  const before = new Set(hookDirs());
  await runGit(target, ['status', '--porcelain']);
  const made = hookDirs().filter((n) => !before.has(n));
  t.same(made, [], 'the engine made no hooks directory in the temp dir');
  // The attack: whatever hooks directory the engine could be using, fill it.
  const log = path.join(tempDir(t), 'hook.log');
  for (const d of hookDirs()) {
    for (const h of ['reference-transaction', 'post-index-change', 'pre-commit']) {
      try {
        plantCommand(path.join(os.tmpdir(), d), h, log);
      } catch {
        /* another user's: not writable */
      }
    }
  }
  await runGit(target, ['update-ref', 'refs/heads/engine/x', head]);
  await runGit(target, ['add', '--all']);
  t.equal(readLog(log), '', 'no hook ran');
  t.equal(git(repo, 'rev-parse', 'refs/heads/engine/x'), head, 'the ref was written');
});
