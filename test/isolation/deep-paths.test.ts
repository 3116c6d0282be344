// test cost: about 25 s: hostile scenarios, a whole run in each sandbox mode (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runScenario, VIOLATION } from './helpers/scenario.js';
import { makeIsoFixture, readState, runEngine, runRun } from './helpers/fixture.js';

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

// A name that is not UTF-8: the walk, listing names as text, met a name that opened nothing
// and skipped all below it; the run completed with that folder's file on the branch, unchecked,
// and then could not remove its workspace (exit 70). Now it is removed before git looks.
t.test('a folder whose name is not UTF-8', async (t) => {
  runScenario(t, {
    name: 'nonutf8',
    spec: { calls: { 'implement#1': { sh: `python3 -c 'import os\nos.makedirs(b"src/\\xff")\nopen(b"src/\\xff/f.txt", "w").write("payload\\n")'`, once: true } } },
    expect: VIOLATION,
    onBranch: (t, entries, { f, id }) => {
      t.match((readState(f, id)?.stop_detail ?? '') as string, /src\/%FF: a name that is not UTF-8/, 'the stop names it, its bytes as %XX');
      t.same(entries.filter((e) => e.path.startsWith('src/') && e.path !== 'src/keep.txt'), [], 'nothing of it is on the branch');
    },
  });
});

// Without the OS sandbox a process the worker leaves running can swap a folder on the way to a
// deep directory for a link while the engine removes another one: removed by its path, the
// deep directory's removal followed the link and took the user's files where it led (3 of 3
// runs). Each removal goes from the workspace down, one folder at a time, never through a link.
const RACE = String.raw`
import os, time
ws, scratch = os.getcwd(), os.environ['ISO_SCRATCH']
def deep(name):
    p = os.path.join(ws, 'src', name)
    while len(p.encode()) + 1 + 200 < 3825: p += '/' + 'd' * 200
    p += '/' + 'e' * (3835 - len(p.encode()) - 1)
    os.makedirs(p)
    return p
pa, pb = deep('a'), deep('b')
a = pa + '/aaaaaa'; os.mkdir(a)
for i in range(1500): os.mkdir(a + '/s%04d' % i)
os.makedirs(pb + '/victim/sub')
links = os.stat(a).st_nlink
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        end = time.time() + 50
        while time.time() < end:
            try:
                if os.stat(a).st_nlink < links: break
            except FileNotFoundError: break
        os.rename(pb, pb + 'x'); os.symlink(os.path.join(scratch, 'outside'), pb)
        open(os.path.join(scratch, 'swapped'), 'w').write('swapped\n')
    os._exit(0)
`;

t.test('a folder on the way to a deep directory swapped for a link while another is removed (no OS sandbox)', async (t) => {
  runScenario(t, {
    name: 'deeprace',
    only: ['off'],
    spec: { calls: { 'implement#1': { sh: 'python3 "$ISO_SCRATCH/race.py"', once: true } } },
    expect: VIOLATION,
    env: (f) => {
      writeFileSync(path.join(f.scratch, 'race.py'), RACE);
      mkdirSync(path.join(f.scratch, 'outside', 'victim'), { recursive: true });
      writeFileSync(path.join(f.scratch, 'outside', 'victim', 'important.txt'), 'user data\n');
      return {};
    },
    tolerate: () => ({ treePaths: [] }),
    onBranch: (t, _entries, { f }) => {
      // A race: whether the swap came during the removal is told, not asserted (the unit tests of
      // removeWithin and openWithin in test/util/remove-tree.test.ts are the certain ones).
      t.comment(`the folder was ${existsSync(path.join(f.scratch, 'swapped')) ? '' : 'not '}swapped for a link during the run`);
      t.equal(readFileSync(path.join(f.scratch, 'outside', 'victim', 'important.txt'), 'utf8'), 'user data\n', 'what the link leads to is untouched');
    },
  });
});

// Without the OS sandbox a process the worker leaves running keeps filling a deep directory
// through a descriptor: the engine could not remove it, nor could the rollback's `git clean`,
// and the run ended with an engine error (exit 70). The run stops on the violation; when the
// rollback cannot put the workspace back, the stop says so.
const REFILL = `python3 -c 'import os, time
os.makedirs("src/deep"); os.chdir("src/deep")
for i in range(19):
    os.mkdir("d" * 200); os.chdir("d" * 200)
os.mkdir("z" * 50)
fd = os.open("z" * 50, os.O_RDONLY)
if os.fork() == 0:
    os.setsid()
    end = time.time() + 10; i = 0
    while time.time() < end and i < 5000:
        try:
            os.close(os.open("f%d" % i, os.O_CREAT | os.O_WRONLY, dir_fd=fd)); i += 1
        except OSError:
            time.sleep(0.001)
    os._exit(0)'`;

t.test('a deep directory a process left running keeps filling (no OS sandbox)', async (t) => {
  runScenario(t, {
    name: 'deeprefill',
    only: ['off'],
    spec: { calls: { 'implement#1': { sh: REFILL, once: true } } },
    expect: VIOLATION,
    onBranch: (t, _entries, { f, id }) => {
      const stop = (readState(f, id)?.stop_detail ?? '') as string;
      t.match(stop, /a directory path of 3840 bytes or more/, 'the stop names the deep directory');
      // Whether git's clean meets the folder still filling depends on timing: when it does, the stop says so.
      if (/rollback could not/.test(stop)) t.match(stop, /the rollback could not put the workspace back .*engine resume --force puts it back/, 'the stop says the workspace could not be put back');
    },
  });
});

// The same, made certain: a file the rollback's `git clean` cannot remove (immutable, as root
// without the OS sandbox can make it). The run stops on the violation, exit 3, and says the
// workspace could not be put back; it ended with an engine error (exit 70).
t.test('a file the rollback cannot remove (no OS sandbox, an engine run by root)', { skip: process.getuid?.() !== 0 && 'chattr +i needs root' }, async (t) => {
  runScenario(t, {
    name: 'immutable',
    only: ['off'],
    spec: { calls: { 'implement#1': { sh: 'mkdir -p lib/stuck && echo x > lib/stuck/f && chattr +i lib/stuck/f', once: true } } },
    expect: VIOLATION,
    onBranch: (t, _entries, { f, id }) => {
      const state = readState(f, id);
      // Made removable again for the clean-up, wherever the workspace is.
      spawnSync('chattr', ['-R', '-f', '-i', f.engineHome]);
      const stop = (state?.stop_detail ?? '') as string;
      t.match(stop, /lib\/stuck\/f: outside the allowed roots/, 'the stop names the file');
      t.match(stop, /the rollback could not put the workspace back \(.*lib\/stuck.*\): it stays as the step left it, and engine resume --force puts it back once that can be removed/, 'and says the workspace could not be put back');
    },
  });
});

// Names that are not UTF-8 were each renamed (to a name a path can give) by their folder's
// path before removal: a process left running (no OS sandbox) swapped the folder for a link
// once the first was renamed, and the user's files of the same names where the link led were
// renamed (19 of 20 in a review's runs; a race, so not every run meets it). The folder is now
// reached once through descriptors (openWithin, test/util/remove-tree.test.ts) and every
// rename and removal goes through that one.
const RENAME_RACE = String.raw`
import os, time
ws, scratch = os.getcwd(), os.environ['ISO_SCRATCH']
a = os.path.join(ws, 'src', 'a').encode()
os.makedirs(a)
for i in range(20):
    d = a + b'/\x80' + bytes([0x41 + i])
    os.mkdir(d)
    for j in range(2000): os.mkdir(d + b'/s%04d' % j)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        end = time.time() + 50
        while time.time() < end:
            if any(n.startswith(b'.engine-non-utf8-') for n in os.listdir(a)): break
        os.rename(a, a + b'x'); os.symlink(os.path.join(scratch, 'outside'), a)
        open(os.path.join(scratch, 'swapped'), 'w').write('swapped\n')
    os._exit(0)
`;

t.test('a folder of names that are not UTF-8 swapped for a link while they are removed (no OS sandbox)', async (t) => {
  const names = Array.from({ length: 20 }, (_, i) => Buffer.from([0x80, 0x41 + i]));
  runScenario(t, {
    name: 'renamerace',
    only: ['off'],
    spec: { calls: { 'implement#1': { sh: 'python3 "$ISO_SCRATCH/race.py"', once: true } } },
    expect: VIOLATION,
    env: (f) => {
      writeFileSync(path.join(f.scratch, 'race.py'), RENAME_RACE);
      const outside = path.join(f.scratch, 'outside');
      mkdirSync(outside);
      for (const n of names) writeFileSync(Buffer.concat([Buffer.from(`${outside}/`), n]), 'user data\n');
      return {};
    },
    onBranch: (t, _entries, { f }) => {
      // A race: whether the swap came during the removal is told, not asserted (the unit tests of
      // removeWithin and openWithin in test/util/remove-tree.test.ts are the certain ones).
      t.comment(`the folder was ${existsSync(path.join(f.scratch, 'swapped')) ? '' : 'not '}swapped for a link during the run`);
      const left = readdirSync(path.join(f.scratch, 'outside'), { encoding: 'buffer' });
      t.same(left.map((b) => b.toString('hex')).sort(), names.map((b) => b.toString('hex')).sort(), 'every file where the link leads keeps its name');
    },
  });
});

// A repository whose own commit tracks a path that is not UTF-8: every snapshot removed it as
// the worker's non_utf8_path, and the run stopped blaming a worker that never touched it (a
// resume then called it a hand edit). The run is refused before its first step instead, the
// paths named (a preflight block, exit 4).
t.test('a repository that tracks a path that is not UTF-8 is refused before the first step', async (t) => {
  // Also with GIT_INDEX_VERSION=4 where the engine was started: git wrote the engine's index in
  // a version it does not read, and the check missed the path.
  for (const [id, env] of [['basenonutf8', {}], ['basenonutf8v4', { GIT_INDEX_VERSION: '4' }]] as const) {
    const f = makeIsoFixture({ spec: { calls: { 'implement#1': { sh: 'echo a > src/a.txt', once: true } } }, runId: id });
    t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
    writeFileSync(Buffer.concat([Buffer.from(`${f.repo}/src/`), Buffer.from([0xff]), Buffer.from('.txt')]), 'tracked\n');
    f.git('add', '-A', 'src');
    f.git('commit', '-q', '-m', 'a name that is not UTF-8');
    f.env = { ...f.env, ...env };
    const r = runRun(f, id, 'off');
    t.equal(r.code, 4, `${id}: ${r.stderr.slice(-1500)}`);
    const state = readState(f, id);
    t.equal(state?.stop_reason, 'doctor_blocked');
    const memo = readFileSync(path.join(f.repo, '.engine', 'runs', id, 'memo.md'), 'utf8');
    t.match(memo, /repo\.paths: the repository tracks a path that is not UTF-8 \(bytes shown as %XX\): src\/%FF\.txt/, 'the memo names the path, its bytes as %XX');
    t.equal(state?.counters?.worker_calls ?? 0, 0, 'no worker ran');
    const doctor = runEngine(f, ['doctor', f.pipelineFile, '--repo', f.repo, '--json']);
    const check = JSON.parse(doctor.stdout).checks.find((c: { id: string }) => c.id === 'repo.paths');
    t.equal(check?.status, 'block', `engine doctor blocks on it too (${doctor.stderr.slice(-300)})`);
    t.match(check?.message, /src\/%FF\.txt/);
  }
});
