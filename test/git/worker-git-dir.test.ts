import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resetWorkerGitDir } from '../../engine/git/worker-git-dir.js';
import { git, makeRepo, makeWorkspace } from './fixtures/repo.js';

// The reviewer's `.git` is written again before a review: HEAD at the last checkpoint, its
// tree in the index, and the milestone's new files added as intended, so that `git diff HEAD`
// shows their content. A few new files are named to git as arguments; many (past what a
// command line takes) on its stdin. Both ways must give the same index.

/** What the worker's own git shows of the workspace: the names `git diff HEAD` lists. */
function diffNames(dir: string): string[] {
  return execFileSync('git', ['diff', 'HEAD', '--name-only'], { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir } }).split('\n').filter(Boolean).sort();
}

for (const count of [3, 1200]) {
  t.test(`${count} new files are in the reviewer's git diff HEAD`, async (t) => {
    const repo = makeRepo(t, { 'a.txt': 'a\n' });
    const { ws } = await makeWorkspace(t, repo, `rev-${count}`);
    const head = git(repo, 'rev-parse', 'HEAD');
    mkdirSync(path.join(ws.dir, 'new'));
    // Long names: 1,200 of them are well past the 32 KiB given as arguments.
    const names = Array.from({ length: count }, (_, i) => `new/a-file-with-a-rather-long-name-to-fill-the-command-line-${i}.txt`);
    for (const n of names) writeFileSync(path.join(ws.dir, n), `${n}\n`);
    writeFileSync(path.join(ws.dir, 'a.txt'), 'changed\n');
    t.equal(await resetWorkerGitDir(ws, head, names), null, 'the .git is written again');
    t.same(diffNames(ws.dir), [...names, 'a.txt'].sort(), 'every new file and the edited one');
  });
}
