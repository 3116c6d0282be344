// test cost: about 10 s: hostile scenarios, a whole run in each sandbox mode (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { runScenario, VIOLATION } from './helpers/scenario.js';
import { readState } from './helpers/fixture.js';

// Contract §5: nothing a worker leaves in its workspace stops the engine. A path longer than
// PATH_MAX (4,096 bytes on Linux) cannot be named whole to the kernel: a walk by path names
// cannot enter it, and git neither stages nor cleans what lies there. A worker makes one in an
// instant (`mkdir d && cd d`, again and again). What is there must not hold git or the engine
// (a FIFO), make it read without bound (a sparse file), or slip past governance; and the
// rollback must leave no trace of it.
// The shell's own `cd` keeps the whole path and stops at PATH_MAX; python's walks one name at a time.
const DEEP = `python3 -c 'import os
os.chdir("src/deep")
for i in range(24):
    os.mkdir("d" * 200); os.chdir("d" * 200)
os.mkfifo("fifo")
open("sparse", "wb").truncate(200 << 30)
open("plain.txt", "w").write("secret-plan\\n")'`;

t.test('a directory deeper than PATH_MAX holding a FIFO, a sparse file and a plain file', async (t) => {
  runScenario(t, {
    name: 'deeppath',
    spec: { calls: { 'implement#1': { sh: `mkdir -p src/deep && ${DEEP}`, once: true } } },
    expect: VIOLATION,
    forbidden: ['src/deep'],
    onBranch: (t, entries, { f, id }) => {
      const stop = (readState(f, id)?.stop_detail ?? '') as string;
      t.match(stop, /src\/deep\/d{200}/, 'the stop names the deep path');
      t.notOk(entries.some((e) => e.path.startsWith('src/deep')), 'nothing of it is on the branch');
    },
  });
});
