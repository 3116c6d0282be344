import t from 'tap';
import { createHash } from 'node:crypto';
import { checkTimeline } from '../../engine/runtime/check-timeline.js';

// The pure check behind `engine resume`: which tails after last_seq the engine can have written.
const ev = (seq: number, type: string, step: string | null, extra: Record<string, unknown> = {}) => JSON.stringify({ seq, ts: 't', type, step, milestone: null, attempt: null, ...extra }) + '\n';
const head = ev(1, 'run.started', null) + ev(2, 'step.started', 'plan') + ev(3, 'step.finished', 'plan', { outcome: 'ok' });
const sha = (text: string) => 'sha256:' + createHash('sha256').update(text).digest('hex');
const state = (over: Record<string, unknown> = {}) =>
  ({ status: 'running', stop_reason: null, last_seq: 3, timeline_bytes: Buffer.byteLength(head), timeline_sha256: sha(head), inflight: null, position: { step: 'implement', milestone: 1, attempt: 1 }, machine: { status: 'active' }, ...over }) as never;
const check = (tail: string, over: Record<string, unknown> = {}) => checkTimeline(Buffer.from(head + tail), state(over));
const finished = (seq: number, reason: string, status = reason === 'completed' ? 'completed' : 'stopped', exit = reason === 'completed' ? 0 : reason === 'interrupted' ? 130 : 1) => ev(seq, 'run.finished', null, { status, stop_reason: reason, exit_code: exit, detail: '', kpis: {} });

t.test('what the engine writes after a state passes, a torn last line is ignored', async (t) => {
  t.match(check(''), { ok: true });
  t.match(check(ev(4, 'step.started', 'implement') + ev(5, 'worker.started', 'implement')), { ok: true });
  t.match(check(ev(4, 'step.started', 'implement') + ev(5, 'step.finished', 'implement')), { ok: true });
  t.match(check(ev(4, 'step.started', 'implement') + ev(5, 'step.stopped', 'implement', { stop_reason: 'worker_failed' }) + finished(6, 'worker_failed')), { ok: true });
  t.match(check(ev(4, 'budget.exhausted', 'implement') + finished(5, 'budget_exhausted')), { ok: true });
  t.match(check(finished(4, 'interrupted')), { ok: true });
  t.match(check(finished(4, 'completed'), { position: { step: null, milestone: 2, attempt: null }, machine: { status: 'done', context: { stop: { reason: 'completed' } } } }), { ok: true });
  t.match(check(ev(4, 'run.resumed', 'implement') + ev(5, 'warning', null)), { ok: true });
  t.match(check(ev(4, 'step.started', 'implement') + '{"seq":5,"ty'), { ok: true, events: { length: 4 } });
});

t.test('what the engine never writes is refused, naming the line', async (t) => {
  t.match(check(ev(5, 'step.started', 'implement')), { ok: false, line: 4, message: /seq 5 where 4 was due/ });
  t.match(check(ev(4, 'step.started', 'implement'), { inflight: { pid: 1, pgid: 1, step: 'implement', call: 'calls/0002-implement-w' } }), { ok: false, line: 4, message: /worker call calls\/0002-implement-w was running/ });
  t.match(check(finished(4, 'completed')), { ok: false, message: /has not reached a completed stop/ });
  t.match(check(finished(4, 'completed', 'completed', 1)), { ok: false, message: /exit code 1 does not go with stop reason completed/ });
  t.match(check(ev(4, 'step.started', 'implement') + ev(5, 'step.stopped', 'implement', { stop_reason: 'worker_failed' }) + finished(6, 'completed')), { ok: false, line: 6, message: /stopped with worker_failed, not completed/ });
  t.match(check(ev(4, 'step.finished', 'review')), { ok: false, message: /stands at step "implement"/ });
  t.match(check(ev(4, 'step.finished', 'implement') + ev(5, 'step.started', 'review')), { ok: false, line: 5, message: /step implement ended at seq 4/ });
  t.match(check(finished(4, 'interrupted') + ev(5, 'step.started', 'implement')), { ok: false, line: 5, message: /follows run\.finished/ });
  t.match(check(ev(4, 'run.started', null)), { ok: false, message: /a run starts only once/ });
  t.match(check('not json\n'), { ok: false, line: 4, message: /not a JSON event/ });
  t.match(check(ev(4, 'step.started', 'implement'), { status: 'stopped', stop_reason: 'budget_exhausted' }), { ok: false, message: /the run stopped \(budget_exhausted\)/ });
});

t.test('the lines state.json absorbed must be the engine\'s bytes', async (t) => {
  const changed = head.replace('"plan"', '"PLAN"');
  t.match(checkTimeline(Buffer.from(changed), state()), { ok: false, message: /are not what the engine wrote/ });
  t.match(checkTimeline(Buffer.from(head.slice(0, 20)), state()), { ok: false, message: /is shorter/ });
  // An older engine's state has no hash: the absorbed lines are taken by their seq.
  t.match(checkTimeline(Buffer.from(head + ev(4, 'step.started', 'implement')), state({ timeline_bytes: undefined, timeline_sha256: undefined })), { ok: true, events: { length: 4 } });
});
