// test cost: about 8 s: one hostile scenario, a whole run in each sandbox mode (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { COMPLETED, runScenario, VIOLATION } from './helpers/scenario.js';
import { readState } from './helpers/fixture.js';

// Contract §5: nothing a worker leaves in its workspace stops the engine. git opens every
// .gitignore and .gitattributes it meets as it stages; a FIFO there blocks it until someone
// writes to it — for ever, the engine waiting with it (under the sandbox too), and a resume
// again. The engine removes such files before git looks, and the run stops on the attempt.
t.test('a FIFO at a .gitignore and a .gitattributes name in the workspace', async (t) => {
  runScenario(t, {
    name: 'fifoignore',
    spec: { calls: { 'implement#1': { sh: 'mkfifo src/.gitignore; mkdir -p src/deep && mkfifo src/deep/.gitattributes', once: true } } },
    expect: VIOLATION,
    onBranch: (t, _entries, { f, id }) => {
      const violations = (readState(f, id)?.stop_detail ?? '') as string;
      t.match(violations, /src\/\.gitignore/, 'the stop names the FIFO');
    },
  });
});

// git opens what a nested repository's .git holds (HEAD, to decide whether the directory is a
// repository at all) and a `.git` file (a gitfile naming its git dir): a FIFO at either held
// git, and the engine, for ever.
t.test('a FIFO in a nested .git or as a .git file', async (t) => {
  runScenario(t, {
    name: 'fifonested',
    spec: { calls: { 'implement#1': { sh: 'mkdir -p src/sub/.git/objects src/sub/.git/refs src/other && mkfifo src/sub/.git/HEAD && mkfifo src/other/.git', once: true } } },
    expect: VIOLATION,
    onBranch: (t, _entries, { f, id }) => {
      const violations = (readState(f, id)?.stop_detail ?? '') as string;
      t.match(violations, /src\/sub\/\.git\/HEAD|src\/other\/\.git/, 'the stop names a FIFO');
    },
  });
});

// A hostile probe replaced a tracked file with a FIFO: `git add` refused it ("can only add
// regular files, symbolic links or git-directories"), the engine ended 70 with the run left
// `running`, and every resume ended the same. Such a file at a tracked path is removed before
// git looks and the step stops on the violation; one at a new path, which git skips, is left.
t.test('a FIFO in place of a tracked file', async (t) => {
  runScenario(t, {
    name: 'fifotracked',
    spec: { calls: { 'implement#1': { sh: 'rm README.md && mkfifo README.md && mkfifo src/new-fifo', once: true } } },
    expect: VIOLATION,
    onBranch: (t, _entries, { f, id }) => {
      const violations = (readState(f, id)?.stop_detail ?? '') as string;
      t.match(violations, /README\.md: a FIFO, socket or device where git reads its rules, or at a tracked path/, 'the stop names the FIFO at the tracked path');
      t.notMatch(violations, /src\/new-fifo/, 'not the one at a new path, which git skips');
    },
  });
});

// A test suite's server leaves its socket or FIFO under an ignored tmp/ (Puma, a test
// Postgres): git skips it, and so does the engine; the run goes on.
t.test('a FIFO at a new path and one under an ignored folder: left, the run completes', async (t) => {
  runScenario(t, {
    name: 'fifountracked',
    files: { '.gitignore': 'tmp/\n' },
    spec: { calls: { 'implement#1': { sh: 'mkdir -p tmp/sockets && mkfifo tmp/sockets/server.fifo && mkfifo src/pipe', once: true } } },
    expect: COMPLETED,
  });
});

// Paths git calls invalid (`.GIT`, `GIT~1`: `.git` on a case-insensitive or Windows file
// system) and a file a working-tree-encoding attribute cannot convert made `git add` fail:
// the engine ended with its own error (exit 70), on every resume too. They are removed and
// the step stops on the violation, rolled back. Past 256 files the repository's own
// attributes cannot convert (one failed `git add` each), it was an engine error again.
t.test('paths git calls invalid and files an encoding attribute cannot convert', async (t) => {
  const many = "mkdir -p src/many && i=0 && while [ $i -lt 300 ]; do printf 'no mark' > src/many/f$i.u16; i=$((i+1)); done";
  runScenario(t, {
    name: 'gitrefused',
    files: { '.gitattributes': '*.u16 working-tree-encoding=UTF-16\n' },
    spec: { calls: { 'implement#1': { sh: `mkdir -p src/.GIT src/GIT~1 && echo x > src/.GIT/config && echo y > src/GIT~1/z && printf 'e.txt working-tree-encoding=UTF-16\\n' > src/.gitattributes && printf 'no mark' > src/e.txt && ${many}`, once: true } } },
    expect: VIOLATION,
    forbidden: ['src/.GIT/config', 'src/GIT~1/z', 'src/e.txt', 'src/many/f0.u16', 'src/many/f299.u16'],
    onBranch: (t, _entries, { f, id }) => {
      const violations = (readState(f, id)?.stop_detail ?? '') as string;
      t.match(violations, /git refuses to stage it/, 'the stop says git refused a path');
    },
  });
});
