// test cost: about 25 s: one hostile scenario, a whole run with a 513 MiB (sparse) file (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { runScenario, INERT_OR_VIOLATION } from './helpers/scenario.js';

// Contract §5: the run branch in the user's repository is whole. git writes a blob above
// core.bigFileThreshold (512 MiB) straight into a pack, not as a loose object, and the
// checkpoint copied loose objects only: a worker's sparse 600 MiB file (no disk used) left
// the branch naming a blob the user's repository did not have — `git fsck` and `git gc`
// failed there, and a merge of the branch too.
t.test('a 513 MiB sparse file in the allowed roots: the branch holds every object it names', async (t) => {
  runScenario(t, {
    name: 'bigfile',
    // git's to write and the checkpoint's to copy, whether or not the worker ran sandboxed (it
    // was seen in both): one mode, the one that runs everywhere, for a run that hashes, packs
    // and diffs half a gigabyte.
    only: ['off'],
    // Above the 100 MiB a snapshot stages by default (test/isolation/huge-file.test.ts): raised
    // here, so that git stages it.
    repoPolicy: { governance: { max_file_mb: 1024 } },
    spec: { calls: { 'implement#1': { sh: 'truncate -s 513M src/big.bin', once: true } } },
    expect: INERT_OR_VIOLATION,
    onBranch: (t, _entries, { f, id }) => {
      const fsck = () => execFileSync('git', ['-C', f.repo, 'fsck', '--connectivity-only', '--no-dangling', `refs/heads/engine/${id}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      t.doesNotThrow(fsck, "git fsck of the run branch in the user's repository finds every object");
    },
  });
});
