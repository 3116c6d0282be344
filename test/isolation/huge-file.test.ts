import t from 'tap';
import { runScenario, COMPLETED, VIOLATION } from './helpers/scenario.js';
import { readState } from './helpers/fixture.js';

// A worker makes a sparse file of a terabyte in an instant, and no disk is used. git stages
// what it finds: it read the whole terabyte of zeros (with the engine's hardening, into
// memory: a 4 GiB one took 4 GiB of RSS), the engine waiting on it without a limit — the run
// held for hours, or the machine out of memory. A file git would stage that is larger than
// governance.max_file_mb (default 100) is a violation, found by its size before git reads it.
t.test('a 1 TiB sparse file in the allowed roots: a violation in seconds, nothing staged', async (t) => {
  const started = Date.now();
  runScenario(t, {
    name: 'hugefile',
    spec: { calls: { 'implement#1': { sh: 'truncate -s 1T src/huge.bin', once: true } } },
    expect: VIOLATION,
    forbidden: ['src/huge.bin'],
    onBranch: (t, _entries, { f, id }) => t.match(readState(f, id)?.stop_detail, /src\/huge\.bin: a file larger than the 100 MiB a snapshot stages/, 'the violation names the file'),
  });
  // Queued behind both modes' subtests.
  t.test('both runs took seconds, not the hours git reading a terabyte would', async (t) => t.ok(Date.now() - started < 120_000, `${Date.now() - started} ms`));
});

t.test('the same file where git does not look (an ignored directory) is no concern of the engine', async (t) => {
  runScenario(t, {
    name: 'hugeignored',
    files: { '.gitignore': 'build/\n' },
    spec: { calls: { 'implement#1': { sh: 'mkdir -p build && truncate -s 1T build/huge.bin', once: true } } },
    expect: COMPLETED,
  });
});

t.test("a large file the repository already holds, unchanged, is no violation: git stages it without reading it", async (t) => {
  // With the limit at 1 MiB, a committed 2 MiB file: every snapshot finds it by its size, and
  // the engine's index says git will not read it.
  runScenario(t, {
    name: 'bigtracked',
    repoPolicy: { governance: { max_file_mb: 1 } },
    files: { 'assets/model.bin': 'x'.repeat(2 * 2 ** 20) },
    spec: {},
    expect: COMPLETED,
  });
});
