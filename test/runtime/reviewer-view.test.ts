// test cost: about 8 s: four whole runs of the plain-sh hostile agent, one of them under bwrap.
import t from 'tap';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { makeIsoFixture, modes, runRun, type IsoSpec } from '../isolation/helpers/fixture.js';

// The reviewer is told to inspect the change with `git diff HEAD` and `git status` in its
// workspace, whose `.git` is the worker's own. An implementer that committed its change there,
// or hid a new file with its own excludes or config, showed the reviewer an empty change while
// the engine committed all of it. What the reviewer's git shows is the milestone's change since
// the last checkpoint, whatever the implementer did to that `.git`.
const review = (n: number) => ({ [`review#${n}`]: { sh: `{ git diff HEAD --name-only; git status --porcelain; } > "$ISO_SCRATCH/review-seen-${n}" 2>&1` } });
const seenBy = (scratch: string, n: number) => readFileSync(path.join(scratch, `review-seen-${n}`), 'utf8');

for (const { mode, skip } of modes()) {
  t.test(`a change the implementer committed in its own .git is still the reviewer's to see (sandbox ${mode})`, { skip }, async (t) => {
    const f = makeIsoFixture({ spec: { calls: { 'implement#1': { sh: 'git add -A && git -c user.name=w -c user.email=w@x commit -q -m hide' }, ...review(1) } }, repoPolicy: { auto_approve: { enabled: false } } });
    t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
    const r = runRun(f, 'r1', mode);
    t.equal(r.code, 0, r.stderr);
    t.match(seenBy(f.scratch, 1), /src\/a\.txt/, 'the reviewer sees the new file');
  });
}

t.test("a new file hidden by the implementer's excludes and status config is still the reviewer's to see", async (t) => {
  const hide = "echo 'src/b.txt' >> .git/info/exclude; git config status.showUntrackedFiles no; git config diff.external /bin/true; echo hidden > src/b.txt; echo more >> src/keep.txt";
  const spec: IsoSpec = { plan: [{ id: 'm1', goal: 'write a', files_expected: ['src/a.txt', 'src/b.txt'] }], calls: { 'implement#1': { sh: hide }, ...review(1) } };
  const f = makeIsoFixture({ spec, repoPolicy: { auto_approve: { enabled: false } } });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const r = runRun(f, 'r1', 'off');
  t.equal(r.code, 0, r.stderr);
  const seen = seenBy(f.scratch, 1);
  t.match(seen, /src\/b\.txt/, 'the reviewer sees the excluded file');
  t.match(seen, /src\/keep\.txt/, 'and the edited one');
});

t.test("the second milestone's reviewer sees that milestone's change, not the first's again", async (t) => {
  const spec: IsoSpec = { plan: [{ id: 'm1', goal: 'write a', files_expected: ['src/a.txt'] }, { id: 'm2', goal: 'write b', files_expected: ['src/b.txt'] }], calls: { ...review(1), ...review(2) } };
  const f = makeIsoFixture({ spec, repoPolicy: { auto_approve: { enabled: false } } });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const r = runRun(f, 'r1', 'off');
  t.equal(r.code, 0, r.stderr);
  t.match(seenBy(f.scratch, 1), /src\/a\.txt/);
  const second = seenBy(f.scratch, 2);
  t.match(second, /src\/b\.txt/);
  t.notMatch(second, /src\/a\.txt/, 'the first milestone is checkpointed: not shown as changed');
});

t.test("a new file's content is in the reviewer's git diff HEAD, not only a name in git status", async (t) => {
  const spec: IsoSpec = { calls: { 'review#1': { sh: 'git diff HEAD > "$ISO_SCRATCH/review-diff" 2>&1' } } };
  const f = makeIsoFixture({ spec, repoPolicy: { auto_approve: { enabled: false } } });
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const r = runRun(f, 'r1', 'off');
  t.equal(r.code, 0, r.stderr);
  t.match(readFileSync(path.join(f.scratch, 'review-diff'), 'utf8'), /^\+milestone 1: src\/a\.txt$/m);
});
