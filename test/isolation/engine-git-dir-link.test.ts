// test cost: about 5 s: one hostile scenario, without the OS sandbox (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { COMPLETED, INERT_OR_VIOLATION, runScenario, violationsOf, VIOLATION } from './helpers/scenario.js';
import { readState, runResume } from './helpers/fixture.js';
import { killByEnv } from '../helpers/kill-by-env.js';

// Without the OS sandbox a worker can reach the engine's own git dir of its workspace (beside
// it, `<workspace>.git`) and put a link there to another repository's `.git`. The engine
// cleans its git dir before each snapshot (what a worker plants there is removed): through the
// link it removed the other repository's config and hooks, rewrote its HEAD, its alternates
// and its index (found by a hostile review). The engine's git dir is checked to be the
// directory the engine made before anything reads or writes it; a link there stops the run.
t.test("a link in place of the engine's git dir: the run stops, the repository it names is untouched", async (t) => {
  const sh = [
    'v="$ISO_HOME/victim"; git init -q "$v"; git -C "$v" config user.name Victim; printf "#!/bin/sh\\necho hook\\n" > "$v/.git/hooks/pre-commit"',
    'mkdir -p src && echo a > src/a.txt',
    'mv "$PWD.git" "$PWD.git.moved" && ln -s "$v/.git" "$PWD.git"',
  ].join('; ');
  runScenario(t, {
    name: 'gitdirlink',
    // The OS sandbox keeps the worker out of the engine's git dir: nothing to link there.
    only: ['off'],
    spec: { calls: { 'implement#1': { sh, once: true } } },
    expect: VIOLATION,
    onBranch: (t, _entries, { f, id, mode }) => {
      const victim = path.join(f.home, 'victim', '.git');
      // A resume would start by cleaning the engine's git dir: it refuses the link instead.
      const resumed = runResume(f, id, mode);
      t.equal(resumed.code, 2, resumed.stderr.slice(-800));
      t.match(resumed.stderr, /is a link, not the directory the engine made for this run/);
      t.equal(execFileSync('git', ['-C', path.dirname(victim), 'config', 'user.name'], { encoding: 'utf8' }).trim(), 'Victim', "the other repository's config is as it was");
      t.ok(existsSync(path.join(victim, 'hooks', 'pre-commit')), 'its hook too');
      t.notMatch(readFileSync(path.join(victim, 'HEAD'), 'utf8'), /engine\//, 'and its HEAD');
      t.notOk(existsSync(path.join(victim, 'index')), 'no index written there');
    },
  });
});

// A git lock file planted in the engine's git dir (its index's, HEAD's, a ref's) made the
// engine's next `git add` fail with "File exists", and the run ended as an internal error
// (exit 70). While a run is driven no git of the engine's holds one between steps: a lock
// there is planted, removed before git looks, and reported like anything else planted there.
t.test("a lock planted in the engine's git dir: removed and reported, no internal error", async (t) => {
  const sh = ['mkdir -p src && echo a > src/a.txt', ': > "$PWD.git/index.lock"', 'mkdir -p "$PWD.git/refs/heads/x" && : > "$PWD.git/refs/heads/x/y.lock"'].join('; ');
  runScenario(t, {
    name: 'gitlock',
    spec: { calls: { 'implement#1': { sh, once: true } } },
    // Under the OS sandbox the engine's git dir is out of the worker's reach: the writes fail, the run completes.
    expect: (mode) => (mode === 'off' ? VIOLATION : COMPLETED),
    onBranch: (t, _entries, { f, id, mode }) => {
      const ws = JSON.parse(readFileSync(path.join(f.repo, '.engine', 'runs', id, 'state.json'), 'utf8')).workspace as string;
      t.notOk(existsSync(path.join(`${ws}.git`, 'index.lock')), 'no index lock is left');
      if (mode !== 'off') return;
      const found = violationsOf(f.repo, id);
      t.ok(found.some((v) => v.rule === 'engine_git' && /index\.lock$/.test(v.path)), `the planted index.lock is reported as engine_git: ${JSON.stringify(found)}`);
    },
  });
});

// Links put where git keeps folders of objects in the engine's git dir (`objects/00` … `ff`,
// found in review): git wrote every new object of the snapshot through them into a folder the
// worker chose, outside the workspace, and read what was there as the engine's own; the run
// completed without a word. They are removed before git looks, never followed, and reported.
t.test("links at the engine's folders of objects: removed before git writes, reported, nothing written through them", async (t) => {
  const sh = [
    'mkdir -p "$ISO_HOME/elsewhere"',
    'for a in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do for b in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do d="$PWD.git/objects/$a$b"; [ -e "$d" ] || ln -s "$ISO_HOME/elsewhere" "$d"; done; done',
    '[ -e "$PWD.git/objects/pack" ] || ln -s "$ISO_HOME/elsewhere" "$PWD.git/objects/pack"',
    'mkdir -p src && echo "a $$ $(date +%s%N)" > src/a.txt',
  ].join('; ');
  runScenario(t, {
    name: 'objlink',
    // The OS sandbox keeps the worker out of the engine's git dir.
    only: ['off'],
    spec: { calls: { 'implement#1': { sh, once: true } } },
    expect: VIOLATION,
    onBranch: (t, _entries, { f, id, mode }) => {
      const elsewhere = path.join(f.home, 'elsewhere');
      t.same(existsSync(elsewhere) ? readdirSync(elsewhere) : [], [], 'no object was written through the links');
      const found = violationsOf(f.repo, id).filter((v) => v.rule === 'engine_git' && /\/objects\/([0-9a-f]{2}|pack)$/.test(v.path));
      t.ok(found.length > 200, `each link is reported as a change of the engine's git dir (${found.length})`);
      const ws = JSON.parse(readFileSync(path.join(f.repo, '.engine', 'runs', id, 'state.json'), 'utf8')).workspace as string;
      const objects = path.join(`${ws}.git`, 'objects');
      t.same(readdirSync(objects, { withFileTypes: true }).filter((e) => e.isSymbolicLink()).map((e) => e.name), [], 'no link is left there');
      const resumed = runResume(f, id, mode);
      t.equal(resumed.code, 0, `resume repeats the step and completes: ${resumed.stderr.slice(-800)}`);
      t.same(readdirSync(elsewhere), [], 'and writes nothing there either');
    },
  });
});

// The same at the run's branch in the user's repository: a lock there made the checkpoint's
// `update-ref` fail after its retries, an internal error too.
t.test("a lock planted at the run's branch in the user's repository: no internal error", async (t) => {
  const sh = ['mkdir -p src && echo a > src/a.txt', 'for b in "$ISO_REPO"/.git/refs/heads/engine/*; do : > "$b.lock"; done'].join('; ');
  runScenario(t, {
    name: 'reflock',
    spec: { calls: { 'implement#1': { sh, once: true } } },
    expect: (mode) => (mode === 'off' ? VIOLATION : COMPLETED),
    onBranch: (t, _entries, { f, id, mode }) => {
      if (mode !== 'off') return;
      t.same(violationsOf(f.repo, id).at(-1), { path: `refs/heads/engine/${id}.lock`, rule: 'user_repo', pattern: null }, 'the checkpoint stops on the lock');
      const resumed = runResume(f, id, mode);
      t.equal(resumed.code, 0, `resume clears the lock no process holds and completes the run: ${resumed.stderr.slice(-800)}`);
    },
  });
});


// A process left running (setsid: out of the worker's group, so the call's end does not end
// it) that puts index.lock back each time it is removed: every `git add` of the engine's
// failed, and the run ended as an internal error (found in review). The snapshot removes it a
// few times (the files say it is back, not git's words), then the step stops as a violation of
// the engine's git dir.
t.test('a lock put back again and again by a process left running: a violation, not an internal error', async (t) => {
  const loop = `setsid sh -c 'l="$1"; i=0; while [ $i -lt 200000 ]; do [ -e "$l" ] || : > "$l" 2>/dev/null; i=$((i+1)); done' sh "$PWD.git/index.lock" </dev/null >/dev/null 2>&1 &`;
  // Planted once before the worker ends (the first look finds it), then again and again.
  const sh = ['mkdir -p src && echo a > src/a.txt', ': > "$PWD.git/index.lock"', loop].join('; ');
  runScenario(t, {
    name: 'replant',
    // The OS sandbox keeps the worker out of the engine's git dir, and ends what it leaves running.
    only: ['off'],
    spec: { calls: { 'implement#1': { sh, once: true } } },
    expect: VIOLATION,
    onBranch: (t, _entries, { f, id, mode }) => {
      t.ok(violationsOf(f.repo, id).some((v) => v.rule === 'engine_git'), "reported as a change of the engine's git dir");
      // Once the process is ended, a forced resume puts back what the step left, never rolled back.
      killByEnv(`ISO_SCRATCH=${f.scratch}`);
      const forced = runResume(f, id, mode, ['--force']);
      t.equal(forced.code, 0, `the process ended, resume --force completes the run: ${forced.stderr.slice(-800)}`);
    },
  });
});

// The engine's git dir made read-only (chmod) or immutable (chattr +i, as root), all of it:
// git could not write an object, the engine could not write a tree, and the run ended as an
// internal error. The engine made that directory its own: a violation of it, told from the
// directory, and every other check still runs (a hook planted in the user's repository is
// reported too). Resume refuses until it is given back; resume --force then completes.
t.test("the engine's git dir made read-only or immutable: a violation, every other check still made", async (t) => {
  const take = 'if [ "$(id -u)" = 0 ]; then chattr -R +i "$PWD.git"; else chmod -R a-w "$PWD.git"; fi';
  // Content no object store holds yet, and a hook in the user's repository.
  const sh = ['mkdir -p src && echo "a $$ $(date +%s%N)" > src/a.txt', 'printf "#!/bin/sh\\n" > "$ISO_REPO/.git/hooks/post-commit"', take].join('; ');
  runScenario(t, {
    name: 'gitro',
    only: ['off'],
    spec: { calls: { 'implement#1': { sh, once: true } } },
    expect: VIOLATION,
    tolerate: () => ({ items: ['hooks', 'gitdir'] }),
    onBranch: (t, _entries, { f, id, mode }) => {
      const ws = JSON.parse(readFileSync(path.join(f.repo, '.engine', 'runs', id, 'state.json'), 'utf8')).workspace as string;
      try {
        const found = violationsOf(f.repo, id);
        t.ok(found.some((v) => v.rule === 'engine_git'), `reported as the engine's git dir: ${JSON.stringify(found)}`);
        t.ok(found.some((v) => v.rule === 'user_repo' && /hooks/.test(v.path)), 'the hook in the user repository is reported too');
        t.match(readState(f, id)?.stop_detail, /refuses the engine's writes/);
        const refused = runResume(f, id, mode);
        t.equal(refused.code, 2, refused.stderr.slice(-800));
        t.match(refused.stderr, /refuses the engine's writes/);
      } finally {
        if (process.getuid?.() === 0) execFileSync('chattr', ['-R', '-i', `${ws}.git`]);
        else execFileSync('chmod', ['-R', 'u+w', `${ws}.git`]);
      }
      const resumed = runResume(f, id, mode, ['--force']);
      t.equal(resumed.code, 0, `given back, resume --force completes the run: ${resumed.stderr.slice(-800)}`);
    },
  });
});

// A name a worker picks is never read as the engine's git dir being locked (git quotes it in
// its messages: the first try at this read git's words).
t.test('a file named like a lock message is not taken for a locked git dir', async (t) => {
  const sh = ['mkdir -p src .GIT && echo a > src/a.txt', "echo x > '.GIT/is locked'", "echo y > 'src/could not lock'"].join('; ');
  runScenario(t, {
    name: 'lockname',
    spec: { calls: { 'implement#1': { sh, once: true } } },
    expect: INERT_OR_VIOLATION,
    onBranch: (t, _entries, { f, id }) => {
      t.notOk(violationsOf(f.repo, id).some((v) => v.rule === 'engine_git'), 'no engine_git violation');
    },
  });
});
