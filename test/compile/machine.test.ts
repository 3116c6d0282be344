import t from 'tap';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { createActor } from 'xstate';
import { compilePipeline } from '../../engine/compile/compile.js';
import { buildMachine } from '../../engine/compile/machine.js';
import type { EnginePipeline } from '../../engine/generated/pipeline.js';

const pipeline = parse(readFileSync(new URL('../../pipelines/default.pipeline.yaml', import.meta.url), 'utf8')) as EnginePipeline;

t.test('the default pipeline drives the seed loop with bounded retries', async (t) => {
  const ir = compilePipeline(pipeline);
  const bounds: Record<string, number> = { 'verification.max_attempts': 3, 'budgets.review_rounds': 2 };
  const machine = buildMachine(ir, (b) => (typeof b === 'number' ? b : bounds[b]!), (name) => name === 'explore_enabled');
  const actor = createActor(machine).start();
  const send = (outcome: string, patch = {}) => actor.send({ type: 'step.done', outcome, patch });
  const at = () => actor.getSnapshot().value as string;
  t.equal(at(), 'explore');
  send('ok');
  t.equal(at(), 'plan');
  send('ok', { milestones: [{ id: 'm1' }, { id: 'm2' }] });
  t.equal(at(), 'next_milestone');
  send('more', { milestone: 1, attempts: {} });
  t.equal(at(), 'implement');
  send('done');
  send('fail');
  t.equal(at(), 'implement', 'first verification failure loops back');
  send('done');
  send('fail');
  t.equal(at(), 'implement', 'second failure loops back');
  send('done');
  send('fail');
  t.equal(at(), 'stop:verification_failed', 'third failure spends verification.max_attempts');
  t.equal(actor.getSnapshot().status, 'done');
  t.same(actor.getSnapshot().context.stop, { reason: 'verification_failed', step: 'verify', outcome: 'fail' });
});

t.test('review rounds and decide branches', async (t) => {
  const ir = compilePipeline(pipeline);
  const machine = buildMachine(ir, (b) => (b === 'budgets.review_rounds' ? 2 : 3), () => false);
  const actor = createActor(machine).start();
  const send = (outcome: string, patch = {}) => actor.send({ type: 'step.done', outcome, patch });
  const at = () => actor.getSnapshot().value as string;
  send('skipped');
  send('ok');
  send('more', { milestone: 1, attempts: {} });
  send('done');
  send('pass');
  t.equal(at(), 'approval');
  send('');
  t.equal(at(), 'review', 'no auto-approve: the reviewer is called');
  send('request_changes');
  t.equal(at(), 'implement');
  send('done');
  send('pass');
  send('');
  send('request_changes');
  t.equal(at(), 'stop:review_rejected', 'the second request for changes spends review_rounds');
});

t.test('persisted snapshots restore to the same place', async (t) => {
  const ir = compilePipeline(pipeline);
  const machine = buildMachine(ir, () => 3, () => true);
  const actor = createActor(machine).start();
  actor.send({ type: 'step.done', outcome: 'ok', patch: {} });
  const saved = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
  const restored = createActor(machine, { snapshot: saved }).start();
  t.equal(restored.getSnapshot().value, 'plan');
  t.same(restored.getSnapshot().context.attempts, { explore: 1, plan: 1 });
});

t.test('the hash ignores formatting and comments', async (t) => {
  const a = compilePipeline(pipeline).hash;
  const b = compilePipeline(JSON.parse(JSON.stringify(pipeline))).hash;
  t.equal(a, b);
  t.match(a, /^sha256:[0-9a-f]{64}$/);
  const changed = JSON.parse(JSON.stringify(pipeline)) as EnginePipeline;
  (changed.steps[0] as { next?: unknown }).next = 'implement';
  t.not(compilePipeline(changed).hash, a);
});
