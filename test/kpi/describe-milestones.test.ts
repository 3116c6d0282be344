import t from 'tap';
import { describeMilestones, describeRunVerification } from '../../engine/kpi/describe-milestones.js';
import { timeline } from './helpers/make-events.js';

function run() {
  const b = timeline().plan([
    { id: 'm1', goal: 'write a' },
    { id: 'm2', goal: 'write b' },
    { id: 'm3', goal: 'write c' },
  ]);
  b.milestone(1, { id: 'm1', ms: 1500, calls: 2, verify: [{ tier: 'tier0', ms: 250 }], reviewSkipped: 'small_green', checkpoint: { files: 2, added: 5, removed: 1 } });
  b.milestone(2, { id: 'm2', ms: 4000, calls: 5, attempts: 3, parseFailures: 1, verify: [{ tier: 'tier0', ms: 900, pass: false }, { tier: 'tier1', ms: 0, skipped: true }] });
  // The run-end verification is recorded under the last milestone, after it finished.
  b.add('verify.finished', { step: 'final_verify', milestone: 2, attempt: 1, tier: 'tier2', pass: true, skipped: false, duration_ms: 3000, log: 'verify/9.log', commands: [] });
  return b.events;
}

t.test('one record per planned milestone, from the timeline alone', async (t) => {
  const [m1, m2, m3] = describeMilestones(run());
  t.strictSame(m1, {
    index: 1,
    id: 'm1',
    goal: 'write a',
    status: 'done',
    duration_s: 1.5,
    worker_calls: 2,
    attempts: 1,
    parse_failures: 0,
    retried: false,
    verify: [{ tier: 'tier0', pass: true, skipped: false, duration_s: 0.25 }],
    review_skipped_reason: 'small_green',
    reviews: 0,
    review_verdict: null,
    governance_violations: 0,
    checkpoint: { sha: '1'.repeat(40), files: 2, added: 5, removed: 1 },
  });
  t.match(m2, { status: 'done', duration_s: 4, worker_calls: 5, attempts: 3, parse_failures: 1, retried: true, checkpoint: null, review_skipped_reason: null });
  t.strictSame(m2!.verify, [
    { tier: 'tier0', pass: false, skipped: false, duration_s: 0.9 },
    { tier: 'tier1', pass: true, skipped: true, duration_s: 0 },
  ], 'the run-end tier2 is not the milestone\'s');
  t.strictSame(m3, { ...m3!, id: 'm3', goal: 'write c', status: 'not_started', duration_s: null, worker_calls: 0, attempts: 0, verify: [] });
});

t.test('the run-end verification belongs to the run', async (t) => {
  t.strictSame(describeRunVerification(run()), [{ tier: 'tier2', pass: true, skipped: false, duration_s: 3 }]);
});

t.test('a started milestone that did not finish; a milestone missing from the plan', async (t) => {
  const b = timeline().plan([{ id: 'm1', goal: 'one' }]);
  b.milestone(1, { id: 'm1', calls: 1 });
  b.add('governance.violation', { milestone: 1, call: 'c', violations: [{ path: 'x', rule: 'protected', pattern: 'x' }], patch: null, stop_reason: 'governance_violation' });
  b.add('milestone.started', { milestone: 2, step: 'next_milestone', id: 'extra', goal: 'not planned' });
  const [m1, m2] = describeMilestones(b.events);
  t.match(m1, { status: 'started', duration_s: null, worker_calls: 1, governance_violations: 1 });
  t.match(m2, { index: 2, id: 'extra', goal: 'not planned', status: 'started' });
  t.strictSame(describeMilestones([]), [], 'no plan, no milestones');
});
