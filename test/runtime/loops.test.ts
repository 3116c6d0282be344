import t from 'tap';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { makeFixture, engineHere, readJsonl, twoMilestones, writeAgentScript } from '../helpers/run-fixture.js';

// Loop detection through real runs: a reviewer that asks again for what it asked before, and
// an implementer that leaves the same tree twice, stop early with review_loop (exit 1); the
// memo quotes the request; resume gets fresh rounds. The engine runs in this process (through
// the CLI kernel) on the stepping clock: nothing here is about processes, crashes or signals.

const runDir = (repo: string, id: string) => path.join(repo, '.engine', 'runs', id);
const clock = { ENGINE_FAKE_CLOCK: '2026-01-02T03:04:05.000Z' };
const run = (f: ReturnType<typeof makeFixture>, id: string, extra: string[] = []) =>
  engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress', ...extra], { cwd: f.dir, env: clock });
const policy = (extra: Record<string, unknown> = {}) => ({ auto_approve: { enabled: false }, explore: { mode: 'off' }, verification: { tiers: { tier0: { commands: ['true'] }, tier2: { commands: ['true'] } } }, ...extra });

t.test('a reviewer repeating its request in other words (case, punctuation, spacing, order) stops review_loop before the rounds run out', async (t) => {
  const f = makeFixture({
    script: {
      ...twoMilestones,
      review: 'request_changes',
      review_changes: {
        'review#1#1': ['Add a unit test for a.', 'Rename `a` to alpha'],
        'review#1#2': ['  rename a to   ALPHA ', 'add a unit test for a'],
      },
      // The implementer does change something each round: it is the reviewer that loops.
      appends: { 'implement#1#2': { 'notes.txt': 'round 2\n' } },
    },
    policy: policy({ budgets: { review_rounds: 5 } }),
  });
  const r = await run(f, 'rl');
  t.equal(r.code, 1, r.stderr);
  const dir = runDir(f.repo, 'rl');
  const events = readJsonl(path.join(dir, 'timeline.jsonl'));
  t.equal(events.at(-1).type, 'run.finished');
  t.equal(events.at(-1).stop_reason, 'review_loop');
  t.equal(events.at(-1).exit_code, 1);
  const loop = events.find((e) => e.type === 'loop.detected');
  t.match(loop, { kind: 'same_request', step: 'review', milestone: 1, attempt: 2, first_attempt: 1, tree: null });
  t.same(loop.request, ['  rename a to   ALPHA ', 'add a unit test for a'], 'the request as the reviewer wrote it last');
  t.same(events.filter((e) => e.type === 'step.started' && e.step === 'review').map((e) => e.attempt), [1, 2], 'stopped at the second round of five');
  const stopped = events.find((e) => e.type === 'step.stopped');
  t.match(stopped, { step: 'review', stop_reason: 'review_loop' });
  const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8'));
  t.equal(state.stop_reason, 'review_loop');
  const memo = readFileSync(path.join(dir, 'memo.md'), 'utf8');
  t.match(memo, /stopped: review_loop/);
  t.match(memo, /## Loop/);
  t.match(memo, /> - rename a to ALPHA/, 'the repeated request is quoted');
  t.match(memo, /> - add a unit test for a/);
  t.match(memo, /--set budgets\.review_rounds=N/, 'the memo says how to allow more rounds');

  // Resume with more rounds: the review repeats; this time the reviewer approves.
  const script = JSON.parse(readFileSync(f.scriptFile, 'utf8'));
  writeAgentScript(f.scriptFile, { ...script, review: 'approve', review_changes: {} });
  const again = await engineHere(['resume', 'rl', '--repo', f.repo, '--no-progress', '--set', 'budgets.review_rounds=6'], { cwd: f.dir, env: clock });
  t.equal(again.code, 0, again.stderr + again.stdout);
  const after = readJsonl(path.join(dir, 'timeline.jsonl'));
  t.equal(after.at(-1).stop_reason, 'completed');
  t.equal(after.filter((e) => e.type === 'loop.detected').length, 1, 'no new loop');
  t.notOk(existsSync(path.join(dir, 'memo.md')), 'a completed run has no memo');
});

t.test('a reviewer that repeats itself after resume is a loop again only when it repeats within the new rounds', async (t) => {
  const f = makeFixture({
    script: { ...twoMilestones, review: 'request_changes', review_changes: { 'review#1#1': ['x'], 'review#1#2': ['x'], 'review#1#3': ['x'] }, appends: { 'implement#1#2': { 'n.txt': '2\n' }, 'implement#1#3': { 'n.txt': '3\n' } } },
    policy: policy({ budgets: { review_rounds: 5, worker_calls_per_milestone: 20 } }),
  });
  t.equal((await run(f, 'rr')).code, 1);
  // Resumed, the review repeats (attempt 2: not compared with the rounds before the stop), asks
  // for changes, the implementer answers (attempt 3), and the third review repeats attempt 2.
  const again = await engineHere(['resume', 'rr', '--repo', f.repo, '--no-progress'], { cwd: f.dir, env: clock });
  t.equal(again.code, 1, again.stderr);
  const events = readJsonl(path.join(runDir(f.repo, 'rr'), 'timeline.jsonl'));
  const loops = events.filter((e) => e.type === 'loop.detected');
  t.same(loops.map((e) => [e.attempt, e.first_attempt]), [[2, 1], [3, 2]]);
  t.equal(events.at(-1).stop_reason, 'review_loop');
});

t.test('different requests each round are no loop: the rounds budget ends it (review_rejected)', async (t) => {
  const f = makeFixture({
    script: { ...twoMilestones, review: 'request_changes', review_changes: { 'review#1#1': ['add a test'], 'review#1#2': ['add a test', 'and docs'] }, appends: { 'implement#1#2': { 'n.txt': '2\n' } } },
    policy: policy({ budgets: { review_rounds: 2 } }),
  });
  const r = await run(f, 'nr');
  t.equal(r.code, 1);
  const events = readJsonl(path.join(runDir(f.repo, 'nr'), 'timeline.jsonl'));
  t.equal(events.at(-1).stop_reason, 'review_rejected');
  t.equal(events.filter((e) => e.type === 'loop.detected').length, 0);
});

t.test('an implementer leaving the same tree again stops review_loop, naming the request it was answering', async (t) => {
  const f = makeFixture({
    script: { ...twoMilestones, review: 'request_changes', review_changes: { 'review#1#1': ['Handle the empty input'] } },
    policy: policy({ budgets: { review_rounds: 5 } }),
  });
  const r = await run(f, 'st');
  t.equal(r.code, 1, r.stderr);
  const dir = runDir(f.repo, 'st');
  const events = readJsonl(path.join(dir, 'timeline.jsonl'));
  t.equal(events.at(-1).stop_reason, 'review_loop');
  const loop = events.find((e) => e.type === 'loop.detected');
  t.match(loop, { kind: 'same_tree', step: 'implement', attempt: 2, first_attempt: 1 });
  const firstTree = events.find((e) => e.type === 'step.finished' && e.step === 'implement').tree;
  t.equal(loop.tree, firstTree, 'the tree of attempt 1');
  t.same(loop.request, ['Handle the empty input']);
  t.equal(events.filter((e) => e.type === 'step.started' && e.step === 'review').length, 1, 'no second review of the same tree');
  const memo = readFileSync(path.join(dir, 'memo.md'), 'utf8');
  t.match(memo, /same workspace tree/);
  t.match(memo, /> - Handle the empty input/);
});

t.test('an implementer that cannot fix a red verification and changes nothing stops review_loop before verification.max_attempts', async (t) => {
  const f = makeFixture({ policy: policy({ verification: { max_attempts: 5, tiers: { tier0: { commands: ['exit 1'] } } } }) });
  const r = await run(f, 'vl');
  t.equal(r.code, 1, r.stderr);
  const events = readJsonl(path.join(runDir(f.repo, 'vl'), 'timeline.jsonl'));
  t.equal(events.at(-1).stop_reason, 'review_loop');
  t.equal(events.filter((e) => e.type === 'verify.finished').length, 1, 'the same tree is not verified twice');
  t.match(events.find((e) => e.type === 'loop.detected'), { kind: 'same_tree', request: [] });
});
