// test cost: about 26 s: nine hostile scenarios, each a whole run (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { safeGit } from './helpers/fixture.js';
import { runScenario, INERT_OR_VIOLATION, VIOLATION } from './helpers/scenario.js';

// Contract §5: the worker's cwd is a workspace with its own .git; whatever the worker does to
// that .git (remove it, replace it, point it at the user's repo, move its HEAD, add worktrees,
// branches, tags, config, alternates, commits) is inert for the user, and the engine, which
// reads the workspace through a git dir of its own, never follows it into the user's repo.

t.test('1. rm -rf .git in the cwd: the checkpoint does not land on the user main', async (t) => {
  runScenario(t, {
    name: 'rmgit',
    spec: { calls: { implement: { sh: 'rm -rf .git' } } },
    expect: INERT_OR_VIOLATION,
  });
});

t.test('1b. rm -rf .git plus a violation: the rollback does not reset the user checkout', async (t) => {
  runScenario(t, {
    name: 'rmgitviol',
    spec: { calls: { implement: { sh: 'rm -rf .git && mkdir -p docs && echo evil > docs/out.md' } } },
    expect: VIOLATION,
    forbidden: ['docs/out.md'],
  });
});

t.test('1c. .git replaced by a fresh repo with planted hooks, fsmonitor and filters', async (t) => {
  const sh = [
    'rm -rf .git && git init -q',
    'git config core.fsmonitor "$ISO_PLANT"',
    'git config core.hooksPath "$ISO_SCRATCH/hooks"',
    'mkdir -p "$ISO_SCRATCH/hooks" && for h in pre-commit post-commit reference-transaction post-index-change; do cp "$ISO_PLANT" "$ISO_SCRATCH/hooks/$h"; done',
    'git config filter.evil.clean "$ISO_PLANT_FILTER clean" && git config filter.evil.smudge "$ISO_PLANT_FILTER smudge"',
    'mkdir -p .git/info && echo "* filter=evil" > .git/info/attributes',
  ].join('; ');
  runScenario(t, { name: 'replgit', spec: { calls: { implement: { sh } } }, expect: INERT_OR_VIOLATION });
});

t.test("2. the cwd's HEAD rewritten to ref: refs/heads/main", async (t) => {
  runScenario(t, {
    name: 'headref',
    spec: { calls: { implement: { sh: 'gd=$(git rev-parse --absolute-git-dir) && printf "ref: refs/heads/main\\n" > "$gd/HEAD"' } } },
    expect: INERT_OR_VIOLATION,
  });
});

t.test("2b. the cwd's .git replaced by a gitdir: file pointing at the user's repo", async (t) => {
  runScenario(t, {
    name: 'gitfile',
    spec: { calls: { implement: { sh: 'rm -rf .git && printf "gitdir: %s/.git\\n" "$ISO_REPO" > .git' } } },
    expect: INERT_OR_VIOLATION,
  });
});

t.test('9. explore (read-only) runs git branch, git tag and git config in its cwd', async (t) => {
  runScenario(t, {
    name: 'explgit',
    explore: true,
    spec: { calls: { explore: { sh: 'git branch x; git tag t; git config user.name evil; git config core.hooksPath /nonexistent-hooks; git update-ref refs/heads/evil HEAD' } } },
    expect: INERT_OR_VIOLATION,
    onBranch: (t, _entries, { f }) => {
      t.equal(safeGit(f.repo, ['config', 'user.name']).trim(), 'User', 'the user identity is theirs');
    },
  });
});

t.test('own: the worker commits a file outside the roots in its workspace, then removes it from the tree', async (t) => {
  const sh = [
    'mkdir -p docs && echo evil > docs/evil.md',
    'git add -A && git -c user.name=agent -c user.email=agent@example.com commit -q --no-verify -m "agent commit" -m "Signed-off-by: Evil <evil@example.com>"',
    'git rm -q --cached docs/evil.md; rm -f docs/evil.md',
  ].join('; ');
  runScenario(t, {
    name: 'wcommit',
    spec: { calls: { implement: { sh } } },
    expect: INERT_OR_VIOLATION,
    forbidden: ['docs/evil.md'],
    onBranch: (t, _entries, { f, id }) => {
      const authors = safeGit(f.repo, ['log', '--format=%an', `${f.base}..refs/heads/engine/${id}`], { allowFail: true });
      t.notMatch(authors, /agent/, "no commit of the worker's own is on the run branch");
    },
  });
});

t.test('own: git worktree add from the cwd', async (t) => {
  runScenario(t, {
    name: 'wtadd',
    spec: { calls: { implement: { sh: 'git worktree add -q --detach "$ISO_SCRATCH/wt-evil" HEAD' } } },
    expect: INERT_OR_VIOLATION,
  });
});

t.test("own: objects/info/alternates of the cwd's git extended to a foreign object store", async (t) => {
  const sh = [
    'mkdir -p "$ISO_SCRATCH/evil.git" && git init -q --bare "$ISO_SCRATCH/evil.git"',
    'common=$(git rev-parse --path-format=absolute --git-common-dir) && mkdir -p "$common/objects/info" && echo "$ISO_SCRATCH/evil.git/objects" >> "$common/objects/info/alternates"',
  ].join('; ');
  runScenario(t, { name: 'altern', spec: { calls: { implement: { sh } } }, expect: INERT_OR_VIOLATION });
});
