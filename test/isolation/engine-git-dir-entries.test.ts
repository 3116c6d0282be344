// test cost: about 15 s: seven hostile scenarios and two FIFOs, without the OS sandbox (scripts/group-tests.mjs starts the long files first).
import t, { type Test } from 'tap';
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenario, violationsOf, VIOLATION } from './helpers/scenario.js';
import { makeIsoFixture, runEngine, sandboxArgs } from './helpers/fixture.js';
import { killByEnv } from '../helpers/kill-by-env.js';

// Without the OS sandbox a worker reaches the engine's git dir of its workspace (beside it,
// `<workspace>.git`). Found in review, each of these was gone through by the engine's git or
// by the engine itself: a link at a folder git writes into, a pack git reads before loose
// objects, a FIFO at a file the engine opens. Each is now removed before git looks, never
// followed, and reported as a change of the engine's git dir (engine/git/misplaced-entries.ts).
// The OS sandbox keeps the worker out of that directory: only 'off' is run.

const forgePack = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'forge-pack.mjs');

function workspaceOf(repo: string, id: string): string {
  return JSON.parse(readFileSync(path.join(repo, '.engine', 'runs', id, 'state.json'), 'utf8')).workspace as string;
}


/** Every file under `dir`, relative to it, sorted; none when it does not exist. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), `${rel}${e.name}/`);
      else out.push(`${rel}${e.name}`);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** The run reported `rel` (a path inside the engine's git dir, or a pattern for one) as a change of that directory. */
function reported(t: Test, f: { repo: string }, id: string, rel: RegExp): void {
  const found = violationsOf(f.repo, id);
  t.ok(found.some((v) => v.rule === 'engine_git' && rel.test(v.path)), `reported as a change of the engine's git dir: ${JSON.stringify(found).slice(0, 600)}`);
}

t.test("a link at the engine's objects/ itself: nothing written through it, the link removed and reported", async (t) => {
  const sh = [
    'o="$ISO_HOME/objs"; mv "$PWD.git/objects" "$o" && ln -s "$o" "$PWD.git/objects"',
    '(cd "$o" && find . -type f | sort) > "$ISO_HOME/objs.before"',
    'mkdir -p src && echo "a $$ $(date +%s%N)" > src/a.txt',
  ].join('; ');
  runScenario(t, {
    name: 'objdirlink',
    only: ['off'],
    spec: { calls: { 'implement#1': { sh, once: true } } },
    expect: VIOLATION,
    onBranch: (t, _entries, { f, id }) => {
      const objs = path.join(f.home, 'objs');
      const before = readFileSync(path.join(f.home, 'objs.before'), 'utf8').split('\n').filter(Boolean).map((p) => p.replace(/^\.\//, ''));
      t.same(filesUnder(objs).filter((p) => !before.includes(p)), [], 'no object written through the link at objects/');
      t.notOk(lstatSync(path.join(`${workspaceOf(f.repo, id)}.git`, 'objects')).isSymbolicLink(), 'no link left at objects/');
      reported(t, f, id, /\.git\/objects$/);
    },
  });
});

t.test("objects/ linked to another repository's objects: nothing written or removed there", async (t) => {
  const sh = [
    'v="$ISO_HOME/victim"; git init -q "$v"; echo keep > "$v/.git/objects/info/keep"',
    'rm -rf "$PWD.git/objects" && ln -s "$v/.git/objects" "$PWD.git/objects"',
    'mkdir -p src && echo "a $$ $(date +%s%N)" > src/a.txt',
  ].join('; ');
  runScenario(t, {
    name: 'objvictim',
    only: ['off'],
    spec: { calls: { 'implement#1': { sh, once: true } } },
    expect: VIOLATION,
    onBranch: (t, _entries, { f, id }) => {
      const objects = path.join(f.home, 'victim', '.git', 'objects');
      t.ok(existsSync(path.join(objects, 'info', 'keep')), "the other repository's objects/info/keep is still there");
      t.notOk(existsSync(path.join(objects, 'info', 'alternates')), 'no alternates written into it');
      t.same(filesUnder(objects).filter((p) => /^[0-9a-f]{2}\//.test(p)), [], 'no object written into it');
      reported(t, f, id, /\.git\/objects$/);
    },
  });
});

// git reads a pack before loose objects and checks no hash on the way: a pack whose index
// names the id of the tree the snapshot will write (the worker knows it from the files it
// left) with the bytes of a harmless tree showed the gate a change other than the one
// committed. The run completed, its branch deleting lib/util.txt, outside the allowed roots.
t.test('a forged pack in the engine\'s objects/pack: removed before git reads it, the real change stopped', async (t) => {
  const sh = [
    'rm lib/util.txt',
    'G="git -c core.excludesFile=/dev/null"',
    'export GIT_INDEX_FILE="$ISO_SCRATCH/idx-real"; rm -f "$GIT_INDEX_FILE"; $G add -A; real=$($G write-tree)',
    'export GIT_INDEX_FILE="$ISO_SCRATCH/idx-fake"; rm -f "$GIT_INDEX_FILE"; $G read-tree HEAD; $G update-index --add src/a.txt 2>/dev/null; fake=$($G write-tree)',
    'unset GIT_INDEX_FILE',
    `$G cat-file tree $fake | "${process.execPath}" '${forgePack}' "$PWD.git/objects/pack" $real tree > "$ISO_SCRATCH/forged"`,
  ].join('\n');
  runScenario(t, {
    name: 'forgedpack',
    only: ['off'],
    spec: { calls: { 'implement#1': { sh, once: true } } },
    expect: VIOLATION,
    onBranch: (t, _entries, { f, id }) => {
      t.ok(readFileSync(path.join(f.scratch, 'forged'), 'utf8').includes('/objects/pack/pack-'), 'the worker wrote its pack');
      reported(t, f, id, /\.git\/objects\/pack\/pack-[0-9a-f]+\.(pack|idx)$/);
      t.same(readdirSync(path.join(`${workspaceOf(f.repo, id)}.git`, 'objects', 'pack')), [], 'no pack is left there');
    },
  });
});

t.test("refs/ linked to another repository's refs: reported, nothing made there", async (t) => {
  const sh = [
    'v="$ISO_HOME/victim"; git init -q "$v"; rm -rf "$v/.git/refs/tags"',
    'rm -rf "$PWD.git/refs" && ln -s "$v/.git/refs" "$PWD.git/refs"',
    'mkdir -p src && echo "a $$ $(date +%s%N)" > src/a.txt',
  ].join('\n');
  runScenario(t, {
    name: 'refslink',
    only: ['off'],
    spec: { calls: { 'implement#1': { sh, once: true } } },
    expect: VIOLATION,
    onBranch: (t, _entries, { f, id }) => {
      t.notOk(existsSync(path.join(f.home, 'victim', '.git', 'refs', 'tags')), 'no folder made through the link');
      reported(t, f, id, /\.git\/refs$/);
    },
  });
});

t.test('info/ linked to a folder outside holding the exclude the engine writes: reported, nothing written there', async (t) => {
  const sh = ['o="$ISO_HOME/info"; mkdir -p "$o"; : > "$o/exclude"', 'rm -rf "$PWD.git/info" && ln -s "$o" "$PWD.git/info"', 'mkdir -p src && echo "a $$ $(date +%s%N)" > src/a.txt'].join('\n');
  runScenario(t, {
    name: 'infolink',
    only: ['off'],
    spec: { calls: { 'implement#1': { sh, once: true } } },
    expect: VIOLATION,
    onBranch: (t, _entries, { f, id }) => {
      t.same(filesUnder(path.join(f.home, 'info')), ['exclude'], 'the folder outside holds what it held');
      reported(t, f, id, /\.git\/info$/);
    },
  });
});

// A FIFO at a file the engine opens by name held it forever (an open for reading or writing
// waits for the other end): the run never ended.
for (const [name, file] of [
  ['fifoindex', 'index'],
  ['fifomark', 'engine-stat-mark'],
] as const) {
  t.test(`a FIFO at the engine's ${file}: the run ends, a violation`, async (t) => {
    const id = `${name}-off`;
    const sh = `mkdir -p src && echo "a $$" > src/a.txt; rm -f "$PWD.git/${file}"; mkfifo "$PWD.git/${file}"`;
    const f = makeIsoFixture({ spec: { calls: { 'implement#1': { sh, once: true } } }, runId: id });
    t.teardown(() => {
      killByEnv(`ISO_SCRATCH=${f.scratch}`);
      if (!process.env.ISO_KEEP) rmSync(f.dir, { recursive: true, force: true });
    });
    const r = runEngine(f, ['run', f.pipelineFile, '--repo', f.repo, '--goal', 'do the task', '--run-id', id, '--no-progress', ...sandboxArgs(f, 'off')], { timeoutMs: 60_000 });
    t.equal(r.signal, null, `the engine ended on its own: ${r.stderr.slice(-600)}`);
    t.equal(r.code, 3, `a governance stop: ${r.stderr.slice(-600)}`);
    reported(t, f, id, new RegExp(`\\.git/${file}$`));
  });
}
