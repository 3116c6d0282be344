import t from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { engine, makeFixture } from '../helpers/run-fixture.js';

// The run store ignores itself so that `git status` never shows a run. A new user's `--store .`
// and `--store .engine` (folders holding a .gitignore of their own, or none) put the run's
// records in `git status`, one `git add -A` from a commit of every transcript; and where the
// folder had no .gitignore, the store's `*` would have hidden the user's own new files there.

const run = (f: ReturnType<typeof makeFixture>, store: string, id: string) =>
  engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--store', store, '--run-id', id, '--no-progress'], { cwd: f.dir });

t.test('a store in a folder of the repository that holds files of its own is refused; nothing is written there', async (t) => {
  const f = makeFixture();
  mkdirSync(path.join(f.repo, '.engine'));
  writeFileSync(path.join(f.repo, '.engine', 'policy.yaml'), 'apiVersion: engine/v1\nkind: Policy\n');
  writeFileSync(path.join(f.repo, '.engine', '.gitignore'), 'runs/\n');
  for (const store of [f.repo, path.join(f.repo, '.engine'), '.']) {
    const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--store', store, '--no-progress'], { cwd: f.repo });
    t.equal(r.code, 2, `${store}: ${r.stderr.slice(-600)}`);
    t.match(r.stderr, /--store: error E_USAGE .* is a folder of the repository .* that holds files of its own: .*name a new folder/, store);
  }
  t.notOk(existsSync(path.join(f.repo, '.gitignore')), 'no .gitignore written at the top');
  t.equal(readFileSync(path.join(f.repo, '.engine', '.gitignore'), 'utf8'), 'runs/\n', "the user's .gitignore is as it was");
  t.equal(f.git('status', '--porcelain', '--untracked-files=all'), '?? .engine/.gitignore\n?? .engine/policy.yaml'.trim(), 'git status shows only what the user made');
});

t.test('a new folder in the repository as the store: runs and the index stay out of git status, run after run', async (t) => {
  const f = makeFixture();
  const store = path.join(f.repo, 'records');
  for (const id of ['one', 'two']) {
    const r = run(f, store, id);
    t.equal(r.code, 0, r.stderr.slice(-1500));
    t.equal(f.git('status', '--porcelain', '--untracked-files=all'), '', `after run ${id}: nothing in git status`);
  }
  t.ok(existsSync(path.join(store, 'one', '.gitignore')), 'each run ignores itself too');
  t.ok(existsSync(path.join(store, 'index.jsonl')), "the store's index is there, ignored");
});

t.test("a run ignores itself even in a store whose .gitignore is the user's", async (t) => {
  // Outside the repository any folder may be a store: its runs still ignore themselves.
  const f = makeFixture();
  const store = path.join(f.dir, 'elsewhere');
  mkdirSync(store);
  writeFileSync(path.join(store, '.gitignore'), '# mine\n');
  const r = run(f, store, 'away');
  t.equal(r.code, 0, r.stderr.slice(-1500));
  t.equal(readFileSync(path.join(store, '.gitignore'), 'utf8'), '# mine\n', "the user's file is kept");
  t.equal(readFileSync(path.join(store, 'away', '.gitignore'), 'utf8'), "# Written by the engine: a run's records are never committed.\n*\n");
});
