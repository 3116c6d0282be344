import t from 'tap';
import { expectOf, judgeRun, outcomeOf, totalsOf, type RunOutcome, type SuiteRun } from '../../engine/suite/judge-suite.js';
import { compareRepeats, factsOf, type RepeatFacts } from '../../engine/kpi/compare-repeats.js';
import { renderRunLine, renderSuite } from '../../engine/suite/render-suite.js';
import type { TimelineEvent } from '../../engine/generated/event.js';

const ev = (e: Record<string, unknown>): TimelineEvent => ({ seq: 1, ts: 't', step: null, milestone: null, attempt: null, ...e }) as unknown as TimelineEvent;

t.test('the facts repeats must share come from plan, verification and checkpoints', async (t) => {
  const events = [
    ev({ type: 'plan.accepted', milestones: [{ id: 'm1', goal: 'g', files_expected: ['b.ts', 'a.ts'] }] }),
    ev({ type: 'verify.finished', tier: 'tier0', pass: false, skipped: false, duration_ms: 5, log: 'l', commands: [{ command: 'x', exit_code: 1, timed_out: false, duration_ms: 5 }] }),
    ev({ type: 'verify.finished', tier: 'tier0', pass: true, skipped: false, duration_ms: 9, log: 'l', commands: [{ command: 'x', exit_code: 0, timed_out: false, duration_ms: 9 }] }),
    ev({ type: 'checkpoint.created', sha: 's', tree: 'tree1', files: 1, added: 1, removed: 0 }),
    ev({ type: 'worker.finished' }),
  ];
  t.same(factsOf(events), {
    planned_paths: [['a.ts', 'b.ts']],
    test_outcomes: [
      { tier: 'tier0', pass: false, exit_codes: [1] },
      { tier: 'tier0', pass: true, exit_codes: [0] },
    ],
    checkpoint_trees: ['tree1'],
  }, 'durations and commit ids are left out: they may differ between identical repeats');
});

t.test('repeats are compared with the first, facet by facet', async (t) => {
  const a: RepeatFacts = { planned_paths: [['a']], test_outcomes: [{ tier: 'tier0', pass: true, exit_codes: [0] }], checkpoint_trees: ['t1'] };
  const same = structuredClone(a);
  const otherTree = { ...structuredClone(a), checkpoint_trees: ['t2'] };
  const otherPlan = { ...structuredClone(a), planned_paths: [['b']] };
  t.same(compareRepeats([a, same, same]), { compared: 3, planned_paths: true, test_outcomes: true, checkpoint_trees: true, differences: [] });
  t.same(compareRepeats([a, same, otherTree]), { compared: 3, planned_paths: true, test_outcomes: true, checkpoint_trees: false, differences: ['checkpoint trees: repeat 3 differs from repeat 1'] });
  t.same(compareRepeats([a, otherPlan]).differences, ['planned paths: repeat 2 differs from repeat 1']);
  t.same(compareRepeats([]).compared, 0);
});

const outcome = (o: Partial<RunOutcome> = {}): RunOutcome => ({ ended: 'completed', calls: 3, parse_failures: 0, governance_violations: 0, planned_paths: ['a.js', 'b.js'], changed_paths: ['a.js', 'b.js'], landed: [], ...o });

t.test('expect: the string form and the object form read alike', async (t) => {
  t.same(expectOf(undefined), { stop: 'completed', planned_paths: null, max_files: null }, 'no expect: completed, nothing else checked');
  t.same(expectOf('parse_failed'), { stop: 'parse_failed', planned_paths: null, max_files: null });
  t.same(expectOf({ stop: 'completed', planned_paths: ['z.js', 'a.js'], max_files: 5 }), { stop: 'completed', planned_paths: ['a.js', 'z.js'], max_files: 5 });
  t.same(expectOf({ stop: 'completed' }), { stop: 'completed', planned_paths: null, max_files: null });
});

t.test('a run is judged on its stop, its plan, its size and what landed', async (t) => {
  const declared = expectOf({ stop: 'completed', planned_paths: ['b.js', 'a.js'], max_files: 2 });
  t.same(judgeRun(outcome(), declared), [], 'as declared');
  t.same(judgeRun(outcome({ ended: 'parse_failed' }), expectOf('parse_failed')), []);
  t.same(judgeRun(outcome({ ended: 'completed' }), expectOf('parse_failed')), ['ended completed, expected parse_failed']);
  t.same(judgeRun(outcome({ planned_paths: ['a.js', 'c.js'] }), declared), ["planned paths differ from the task's: missing b.js; not declared c.js"], 'a plan naming other paths fails, however it ended');
  t.same(judgeRun(outcome({ planned_paths: ['a.js'] }), declared), ["planned paths differ from the task's: missing b.js"]);
  t.same(judgeRun(outcome({ changed_paths: ['a.js', 'b.js', 'c.js'] }), declared), ['changed 3 files, more than max_files 2: a.js, b.js, c.js']);
  t.same(judgeRun(outcome({ changed_paths: [] }), declared), [], 'changing fewer files is fine');
  t.same(judgeRun(outcome({ planned_paths: ['x.js'], changed_paths: ['x.js'] }), expectOf('completed')), [], 'without planned_paths or max_files neither is checked');
  const landed = outcome({ ended: 'governance_violation', landed: [{ path: 'package-lock.json', rule: 'dependency_file', pattern: 'package-lock.json' }] });
  t.same(judgeRun(landed, expectOf('governance_violation')), ['governance violation landed on the branch: package-lock.json (dependency_file)'], 'a hostile task expecting a violation still fails when it lands');
  const all = judgeRun(outcome({ ended: 'verification_failed', planned_paths: [], changed_paths: ['a.js', 'b.js', 'c.js'] }), declared);
  t.equal(all.length, 3, 'every problem is named, not only the first');
});

t.test('a timeline gives calls, parse failures, caught violations and the planned paths (the last plan, deduplicated)', async (t) => {
  const events = [
    ev({ type: 'plan.accepted', milestones: [{ id: 'old', goal: 'g', files_expected: ['old.js'] }] }),
    ev({ type: 'plan.accepted', milestones: [{ id: 'm1', goal: 'g', files_expected: ['b.js', 'a.js'] }, { id: 'm2', goal: 'g', files_expected: ['a.js', 'README.md'] }] }),
    ev({ type: 'worker.started' }),
    ev({ type: 'worker.finished', cost_usd: null, usage: null }),
    ev({ type: 'parse.failed' }),
    ev({ type: 'worker.started' }),
    ev({ type: 'worker.finished', cost_usd: null, usage: null }),
    ev({ type: 'governance.violation', violations: [] }),
  ];
  t.same(outcomeOf(events), { calls: 2, parse_failures: 1, governance_violations: 1, planned_paths: ['README.md', 'a.js', 'b.js'] });
  t.same(outcomeOf([]), { calls: 0, parse_failures: 0, governance_violations: 0, planned_paths: [] }, 'no plan: no paths');
});

const run = (o: Partial<SuiteRun> = {}): SuiteRun => ({ repeat: 1, run_id: 'r', repo: '/tmp/x', run_dir: '/tmp/x/r', exit_code: 0, detail: 'd', ...outcome(), problems: [], ok: true, ...o });
const same = { compared: 2, planned_paths: true, test_outcomes: true, checkpoint_trees: true, differences: [] };

t.test('suite totals: calls, parse failures with deliberate ones apart, governance, variance, the target', async (t) => {
  const totals = totalsOf([
    { task: 'golden', expect: 'completed', runs: [run({ calls: 100 }), run({ calls: 99, parse_failures: 0 })], determinism: same, ok: true },
    { task: 'garbage', expect: 'parse_failed', runs: [run({ ended: 'parse_failed', calls: 2, parse_failures: 2 })], determinism: same, ok: true },
    { task: 'hostile', expect: 'governance_violation', runs: [run({ ended: 'governance_violation', calls: 1, governance_violations: 1 })], determinism: same, ok: true },
    { task: 'drifts', expect: 'completed', runs: [run({ calls: 4, ok: false, parse_failures: 1 })], determinism: { ...same, planned_paths: false, checkpoint_trees: false, differences: ['x'] }, ok: false },
  ]);
  t.match(totals, { tasks: 4, tasks_passed: 3, runs: 5, runs_passed: 4, worker_calls: 206, worker_calls_passed: 202 });
  t.same(totals.hostile, { tasks: ['garbage', 'hostile'], worker_calls: 3, parse_failures: 2 }, 'the hostile tasks, garbage markers among them, are counted apart');
  t.equal(totals.parse_failures, 1, 'only the failures of tasks that must complete');
  t.equal(totals.parse_failures_per_100, 0.493, '1 in 203 calls');
  t.same(totals.missed, [], 'under 1 per 100');
  t.match(totals, { governance_violations: 1, violations_landed: 0, path_variance: 1, outcome_variance: 0, tree_variance: 1 });

  const worse = totalsOf([{ task: 'g', expect: 'completed', runs: [run({ calls: 100, parse_failures: 1 })], determinism: same, ok: true }]);
  t.equal(worse.parse_failures_per_100, 1);
  t.same(worse.missed, ['parse failures 1 per 100 calls, target < 1'], 'the target is strict: 1 per 100 misses it');
  const landed = totalsOf([{ task: 'g', expect: 'completed', runs: [run({ landed: [{ path: 'x', rule: 'protected', pattern: 'x' }], ok: false })], determinism: same, ok: false }]);
  t.equal(landed.violations_landed, 1);
  t.same(totalsOf([]).parse_failures_per_100, 0, 'no calls: no rate');
});

t.test('rendering: a line per run, a verdict per task, the totals, the closing line', async (t) => {
  const failed = run({ run_id: 'r1', run_dir: '/tmp/x/.engine/runs/r1', detail: 'done', problems: ['ended completed, expected parse_failed'], ok: false });
  t.equal(renderRunLine('bad-task', 'parse_failed', failed, 1, 2), '[1/2] bad-task #1: completed (expected parse_failed) FAILED — run r1: ended completed, expected parse_failed');
  const results = [
    { task: 'bad-task', file: 'f', path: 'f', expect: 'parse_failed', planned_paths: null, max_files: null, repeats: [1], runs: [failed], determinism: { ...same, compared: 1 }, ok: false },
    { task: 'good', file: 'g', path: 'g', expect: 'completed', planned_paths: ['a.js', 'b.js'], max_files: 5, repeats: [1], runs: [run({ calls: 7 })], determinism: { ...same, compared: 1 }, ok: true },
  ];
  const text = renderSuite(results, 1, '/tmp/base', '/tmp/base/runs', totalsOf(results));
  t.match(text, /^FAIL bad-task: expected parse_failed, ended completed \(0\/1 as declared\)$/m);
  t.match(text, /#1 \/tmp\/x: ended completed, expected parse_failed/);
  t.match(text, /^     declared 2 planned paths, at most 5 files; changed 2 file\(s\) at most$/m);
  t.match(text, /^worker calls: 10; parse failures: 0 \(0 per 100 calls, target < 1\); hostile \(bad-task\): 3 calls, 0 parse failures, counted apart$/m);
  t.match(text, /^governance violations: 0 caught, 0 landed; tasks whose repeats differ: paths 0, outcomes 0, trees 0$/m);
  t.match(text, /^1 passed, 1 failed — runs 1\/2 as declared, worker calls 7\/10 in passing runs$/m, 'the closing line counts tasks, runs and calls');
  t.notMatch(text, /^ +repeats (identical|differ)/m, 'no determinism line without repeats');
  t.notMatch(text, /target missed/);
  t.match(text, /^runs: \/tmp\/base\/runs$/m, 'where the runs are');
});

t.test('a shard that runs some repeats of a task says which, and names them when they differ', async (t) => {
  const results = [{ task: 'some', file: 'f', path: 'f', expect: 'completed', planned_paths: null, max_files: null, repeats: [2, 3], runs: [run({ repeat: 2 }), run({ repeat: 3 })], determinism: same, ok: true }];
  const text = renderSuite(results, 3, '/tmp/base', '/tmp/store', totalsOf(results));
  t.match(text, /^ok   some: expected completed, ended completed \(2\/2 of 3: #2 #3 as declared\)$/m);
  t.match(text, /repeats identical: .* \(2 compared\)/);
  const a: RepeatFacts = { planned_paths: [['a']], test_outcomes: [], checkpoint_trees: ['t1'] };
  t.same(compareRepeats([a, { ...a, checkpoint_trees: ['t2'] }], [2, 3]).differences, ['checkpoint trees: repeat 3 differs from repeat 2']);
});
