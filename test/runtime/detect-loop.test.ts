import t from 'tap';
import { detectLoop, LoopRounds, normalizeRequest, describeLoop, type LoopProbe } from '../../engine/runtime/detect-loop.js';
import type { TimelineEvent } from '../../engine/generated/event.js';

let seq = 0;
const finished = (step: string, milestone: number, attempt: number, patch: Record<string, unknown>, tree = 't0'): TimelineEvent =>
  ({ seq: ++seq, ts: '2026-01-01T00:00:00Z', type: 'step.finished', step, milestone, attempt, kind: 'worker', outcome: 'x', next: 'y', duration_ms: 1, patch, tree }) as TimelineEvent;
const review = (changes: string[], attempt = 2, milestone = 1): LoopProbe => ({ step: 'review', milestone, attempt, review: { verdict: 'request_changes', changes }, tree: null, pending: [] });

t.test('normalised requests: case, whitespace, punctuation, order and duplicates do not matter; words do', async (t) => {
  t.same(normalizeRequest(['Add a test!', '  rename  `x`  to Y. ']), normalizeRequest(['rename x to y', 'add a test', 'ADD A TEST']));
  t.notSame(normalizeRequest(['add a test']), normalizeRequest(['add two tests']));
  t.same(normalizeRequest(['', '  ', '...']), [], 'items of nothing but punctuation are dropped');
  t.notSame(normalizeRequest(['a-b']), normalizeRequest(['ab']), 'punctuation separates words, it does not glue them');
});

t.test('a review repeats an earlier round of the same step in the same milestone', async (t) => {
  const events = [finished('review', 1, 1, { review: { verdict: 'request_changes', changes: ['Fix it.', 'Add docs'] } })];
  t.match(detectLoop(events, review(['add docs', 'fix it'])), { kind: 'same_request', first_attempt: 1, attempt: 2, request: ['add docs', 'fix it'] });
  t.equal(detectLoop(events, review(['fix it', 'add docs', 'and tests'])), null, 'a request that adds something is new');
  t.equal(detectLoop(events, review(['add docs', 'fix it'], 1, 2)), null, 'another milestone starts afresh');
  t.equal(detectLoop(events, { ...review(['fix it', 'add docs']), review: { verdict: 'approve', changes: ['fix it', 'add docs'] } }), null, 'an approval is no loop');
  const approved = [finished('review', 1, 1, { review: { verdict: 'approve', changes: ['fix it', 'add docs'] } })];
  t.equal(detectLoop(approved, review(['fix it', 'add docs'])), null, 'only earlier requests count');
  t.equal(detectLoop(events, { ...review(['fix it', 'add docs']), step: 'review2' }), null, 'another review step is another loop');
  t.equal(detectLoop(events, { ...review(['fix it', 'add docs']), milestone: null }), null);
});

t.test('after a loop stop, only the rounds since count (resume gets fresh rounds)', async (t) => {
  const events = [
    finished('review', 1, 1, { review: { verdict: 'request_changes', changes: ['x'] } }),
    { seq: ++seq, ts: '', type: 'loop.detected', step: 'review', milestone: 1, attempt: 2, kind: 'same_request', first_attempt: 1, request: ['x'], tree: null } as TimelineEvent,
  ];
  t.equal(detectLoop(events, review(['x'])), null);
  events.push(finished('review', 1, 2, { review: { verdict: 'request_changes', changes: ['x'] } }));
  t.match(detectLoop(events, review(['x'], 3)), { first_attempt: 2 });
});

t.test('a writing step that leaves an earlier tree again', async (t) => {
  const events = [finished('implement', 1, 1, { implement: {} }, 'tree-a'), finished('implement', 1, 2, { implement: {} }, 'tree-b')];
  const probe: LoopProbe = { step: 'implement', milestone: 1, attempt: 3, review: null, tree: 'tree-a', pending: ['do it'] };
  const f = detectLoop(events, probe)!;
  t.match(f, { kind: 'same_tree', first_attempt: 1, tree: 'tree-a', request: ['do it'] });
  t.match(describeLoop(f), /left in attempt 3 the same workspace tree tree-a as in attempt 1 \(milestone 1\), answering "do it"/);
  t.equal(detectLoop(events, { ...probe, tree: 'tree-c' }), null);
  t.equal(detectLoop(events, { ...probe, tree: null }), null, 'a read-only step has no tree to compare');
});

// The loop keeps one LoopRounds per run and asks it at every worker step: it must answer as a
// fresh read of the whole timeline does, at every length the timeline passes through.
t.test('rounds kept across steps answer as a fresh read of the whole timeline, at every step', async (t) => {
  const loop = (milestone: number, attempt: number): TimelineEvent => ({ seq: ++seq, ts: '', type: 'loop.detected', step: 'review', milestone, attempt, kind: 'same_request', first_attempt: 1, request: ['x'], tree: null }) as TimelineEvent;
  const ask = (changes: string[]) => ({ review: { verdict: 'request_changes', changes } });
  const timeline: TimelineEvent[] = [
    finished('implement', 1, 1, { implement: {} }, 'tree-a'),
    finished('review', 1, 1, ask(['x'])),
    finished('implement', 1, 2, { implement: {} }, 'tree-b'),
    finished('review', 1, 2, ask(['y'])),
    loop(1, 3),
    finished('review', 1, 3, ask(['x'])),
    finished('implement', 2, 1, { implement: {} }, 'tree-a'),
    finished('review', 2, 1, ask(['x'])),
    { ...finished('review', 2, 2, ask(['x'])), step: null } as TimelineEvent,
  ];
  const probes: LoopProbe[] = [
    review(['x'], 4, 1),
    review(['y'], 4, 1),
    review(['x'], 2, 2),
    { step: 'implement', milestone: 1, attempt: 3, review: null, tree: 'tree-a', pending: [] },
    { step: 'implement', milestone: 2, attempt: 2, review: null, tree: 'tree-a', pending: [] },
  ];
  const kept = new LoopRounds();
  const events: TimelineEvent[] = [];
  let found = 0;
  for (const e of timeline) {
    events.push(e);
    for (const probe of probes) {
      const fresh = detectLoop(events, probe);
      t.same(detectLoop(events, probe, kept), fresh, `after ${events.length} events: ${probe.step} of milestone ${probe.milestone}`);
      if (fresh) found++;
    }
  }
  t.ok(found > 5, `the probes found loops and no loops (${found} found)`);
  // Another timeline, or the same one shorter: read again from its start.
  const other = timeline.slice(0, 2);
  t.same(detectLoop(other, review(['x'], 2, 1), kept), detectLoop(other, review(['x'], 2, 1)));
  events.length = 3;
  t.same(detectLoop(events, review(['y'], 4, 1), kept), null, 'the request y came after the third event');
  t.match(detectLoop(events, review(['x'], 4, 1), kept), { first_attempt: 1 });
});
