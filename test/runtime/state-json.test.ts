import t from 'tap';
import { stateJson } from '../../engine/runtime/open-runtime.js';
import { redactDeep } from '../../engine/runtime/run-secrets.js';
import { toRecordJson } from '../../engine/store/atomic.js';
import type { Runtime } from '../../engine/runtime/types.js';

// state.json's text is assembled field by field, the plan's fields kept from the last write
// while they stand: it must be byte for byte what serialising the whole redacted state gives.

const secret = { name: 'API_KEY', value: Buffer.from('sk-very-secret-value-1234') };

function stateWith(milestones: unknown[]) {
  return {
    schema_version: 1,
    run_id: 'r1',
    status: 'running',
    inflight: null,
    empty_list: [],
    empty_object: {},
    missing: undefined,
    milestones,
    position: { step: 'implement', milestone: 1, attempt: 2 },
    machine: { status: 'active', value: 'implement', context: { milestones, note: 'line one\nline two "quoted"' } },
    kpis: { samples: [1.5, 2, null] },
    updated_at: '2026-12-01T00:00:00.000Z',
  } as unknown as Runtime['state'];
}

t.test('the same text as serialising the whole redacted state, as fields are replaced', async (t) => {
  const rt = { secrets: [secret] } as unknown as Runtime;
  const plan = [{ id: 'm1', goal: 'use sk-very-secret-value-1234 nowhere', files_expected: ['a.ts'] }];
  const s = stateWith(plan);
  const expected = () => toRecordJson(redactDeep(s, [secret]));
  t.equal(stateJson(rt, s), expected(), 'first write');
  t.notMatch(stateJson(rt, s), /sk-very-secret/, 'redacted');
  s.status = 'stopped' as never;
  s.inflight = { pid: 1, pgid: 1, step: 'implement', call: 'calls/0001' } as never;
  t.equal(stateJson(rt, s), expected(), 'other fields change, the plan is kept');
  // Strings, numbers and null are kept encoded while the same value stands: each change shows.
  for (const [status, updated] of [['running', '2026-12-01T00:00:01.000Z'], ['running', '2026-12-01T00:00:01.000Z'], ['stopped', 'sk-very-secret-value-1234'], ['stopped', null]] as const) {
    s.status = status as never;
    (s as { updated_at: unknown }).updated_at = updated;
    t.equal(stateJson(rt, s), expected(), `status ${status}, updated_at ${String(updated)}`);
  }
  t.notMatch(stateJson(rt, s), /sk-very-secret/, 'still redacted');
  (s as { position: { attempt: number } }).position.attempt = 3;
  t.equal(stateJson(rt, s), expected(), 'an object changed in place is written anew');
  const next = [...plan, { id: 'm2', goal: 'two', files_expected: [] }];
  s.milestones = next as never;
  (s as { machine: unknown }).machine = { ...(s.machine as object), context: { milestones: next } };
  t.equal(stateJson(rt, s), expected(), 'a new plan and machine are written anew');
  t.match(stateJson(rt, s), /"m2"/);
  // Step after step the machine is new and its context holds the same plan: spliced in, byte for byte.
  for (let step = 0; step < 3; step++) {
    (s as { machine: unknown }).machine = { status: 'active', value: `step${step}`, context: { attempts: { implement: step }, milestones: next, implement: { summary: `"engine-plan-" and ${step}` } }, children: {} };
    t.equal(stateJson(rt, s), expected(), `a new machine over the same plan (${step})`);
  }
  // A context holding another array than state.milestones, an equal copy, is serialised whole.
  (s as { machine: unknown }).machine = { status: 'active', value: 'x', context: { milestones: next.map((m) => ({ ...m })) } };
  t.equal(stateJson(rt, s), expected(), 'an equal copy of the plan');
  t.equal(stateJson({ secrets: [] } as unknown as Runtime, s), toRecordJson(s), 'without secrets');
  t.equal(stateJson({ secrets: [] } as unknown as Runtime, {} as Runtime['state']), toRecordJson({}), 'an empty record');
});
