import t from 'tap';
import { carriedFailure, milestoneDecision, parseDecision, retryDecision, tier0FastDecision } from '../../engine/kpi/decide.js';
import { withKpiDecisions } from '../../engine/runtime/steps/call-worker.js';
import { collectSamples } from '../../engine/kpi/collect-samples.js';
import type { TimelineEvent } from '../../engine/generated/event.js';
import { targets } from './helpers/targets.js';

const samples = (over: Partial<ReturnType<typeof collectSamples>>) => ({ ...collectSamples([]), ...over });

t.test('milestone: calls over calls_p90 first, then time over milestone_p90_s; on target holds', async (t) => {
  t.equal(milestoneDecision({ index: 1, calls: 4, seconds: 360 }, targets), null, 'exactly on both targets holds (≤)');
  t.match(milestoneDecision({ index: 1, calls: 5, seconds: 999 }, targets), { kpi: 'calls_p90', value: 5, target: 4, decision: 'require_review' });
  t.match(milestoneDecision({ index: 2, calls: 1, seconds: 361 }, targets), { kpi: 'milestone_p90_s', value: 361, decision: 'require_review', detail: /milestone 3 gets/ });
});

t.test('parse failures: strict target, at least two failures, structured output where the CLI has it', async (t) => {
  const claude = { name: 'w', use: 'claude', structured: false, nativeStructured: true };
  const LIVE = 'engine doctor p.yaml --repo /r --live';
  t.equal(parseDecision({ parse_failures: 1, worker_calls: 3 }, claude, targets, LIVE), null, 'one failure is what a repair is for');
  t.equal(parseDecision({ parse_failures: 2, worker_calls: 201 }, claude, targets, LIVE), null, '0.995 per 100 is < 1');
  t.match(parseDecision({ parse_failures: 2, worker_calls: 200 }, claude, targets, LIVE), { value: 1, decision: 'structured_output' }, '1 per 100 is not < 1');
  t.match(parseDecision({ parse_failures: 2, worker_calls: 10 }, { ...claude, use: 'codex' }, targets, LIVE), { decision: 'structured_output' });
  t.equal(parseDecision({ parse_failures: 2, worker_calls: 10 }, { ...claude, structured: true }, targets, LIVE), null, 'already structured: the repairs decide');
  t.match(parseDecision({ parse_failures: 2, worker_calls: 10 }, { ...claude, use: 'command', nativeStructured: false }, targets, LIVE), { decision: 'doctor_live', detail: /run `engine doctor p\.yaml --repo \/r --live` before resuming/ });
});

t.test('a structured_output decision turns it on for that worker only', async (t) => {
  const events = [{ seq: 1, ts: '', type: 'kpi.decision', step: 'implement', milestone: 1, attempt: 1, kpi: 'parse_failures_per_100', value: 20, target: 1, decision: 'structured_output', detail: '', worker: 'impl' }] as TimelineEvent[];
  t.equal(withKpiDecisions({ use: 'codex' }, 'impl', events).structured_output, true);
  t.equal(withKpiDecisions({ use: 'codex' }, 'other', events).structured_output, undefined);
  t.equal(withKpiDecisions({ use: 'codex' }, 'impl', []).structured_output, undefined);
});

t.test('tier0_fast: its p90 over the history against tier0_p90_s', async (t) => {
  t.equal(tier0FastDecision([], targets), null);
  t.equal(tier0FastDecision([{ samples: samples({ verify_ms: { tier0: [999_000] } }) }], targets), null, 'only tier0_fast times count');
  t.equal(tier0FastDecision([{ samples: samples({ verify_ms: { tier0_fast: [60_000] } }) }], targets), null, 'on target holds');
  t.match(tier0FastDecision([{}, { samples: samples({ verify_ms: { tier0_fast: [1000, 61_000] } }) }], targets), { value: 61, decision: 'suspend_tier0_fast' });
});

t.test('retry rate: pooled over the history, strict', async (t) => {
  t.equal(retryDecision([{}], targets), null, 'no milestones, no rate');
  t.equal(retryDecision([{ samples: samples({ milestones_started: 10, retried_milestones: 1 }) }], targets), null);
  t.match(retryDecision([{ samples: samples({ milestones_started: 4, retried_milestones: 0 }) }, { samples: samples({ milestones_started: 1, retried_milestones: 1 }) }], targets), { value: 0.2, decision: 'smaller_milestones' }, '1 of 5 is not < 0.2');
});

t.test('the carried failure keeps the newest items within the limit, each trimmed', async (t) => {
  t.equal(carriedFailure([]), '');
  const long = 'x'.repeat(2000) + 'END';
  const c = carriedFailure(['old', long], 501);
  t.ok(c.endsWith('END') && c.startsWith('…') && c.length === 500, 'trimmed to its end');
  t.equal(carriedFailure(['a'.repeat(400), 'b'.repeat(400), 'c'], 600), `${'b'.repeat(400)}\n---\nc`, 'the oldest falls off');
});
