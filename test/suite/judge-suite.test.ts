import t from 'tap';
import { compareRepeats, factsOf, judgeRun, type RepeatFacts } from '../../engine/suite/judge-suite.js';
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
  t.ok(judgeRun('parse_failed', 'parse_failed'));
  t.notOk(judgeRun('completed', 'parse_failed'));
});

t.test('rendering: a line per run, a verdict per task, the count line', async (t) => {
  const run = { repeat: 1, run_id: 'r1', repo: '/tmp/x', run_dir: '/tmp/x/.engine/runs/r1', ended: 'completed', exit_code: 0, detail: 'done', ok: false };
  t.equal(renderRunLine('bad-task', 'parse_failed', run, 1, 2), '[1/2] bad-task #1: completed (expected parse_failed) FAILED — run r1: done');
  const text = renderSuite(
    [{ task: 'bad-task', file: 'f', path: 'f', expect: 'parse_failed', repeats: [1], runs: [run], determinism: { compared: 1, planned_paths: true, test_outcomes: true, checkpoint_trees: true, differences: [] }, ok: false }],
    1,
    '/tmp/base',
    '/tmp/base/runs',
  );
  t.match(text, /^FAIL bad-task: expected parse_failed, ended completed \(0\/1 as declared\)$/m);
  t.match(text, /#1 \/tmp\/x: done/);
  t.match(text, /^0 passed, 1 failed$/m);
  t.notMatch(text, /repeats/, 'no determinism line without repeats');
  t.match(text, /^runs: \/tmp\/base\/runs$/m, 'where the runs are');
});

t.test('a shard that runs some repeats of a task says which, and names them when they differ', async (t) => {
  const run = (repeat: number) => ({ repeat, run_id: `r${repeat}`, repo: '/tmp/x', run_dir: null, ended: 'completed', exit_code: 0, detail: 'done', ok: true });
  const text = renderSuite(
    [{ task: 'some', file: 'f', path: 'f', expect: 'completed', repeats: [2, 3], runs: [run(2), run(3)], determinism: { compared: 2, planned_paths: true, test_outcomes: true, checkpoint_trees: true, differences: [] }, ok: true }],
    3,
    '/tmp/base',
    '/tmp/store',
  );
  t.match(text, /^ok   some: expected completed, ended completed \(2\/2 of 3: #2 #3 as declared\)$/m);
  t.match(text, /repeats identical: .* \(2 compared\)/);
  const a: RepeatFacts = { planned_paths: [['a']], test_outcomes: [], checkpoint_trees: ['t1'] };
  t.same(compareRepeats([a, { ...a, checkpoint_trees: ['t2'] }], [2, 3]).differences, ['checkpoint trees: repeat 3 differs from repeat 2']);
});
