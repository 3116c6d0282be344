import t from 'tap';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { selectTier, fastGate, type PastRun } from '../../engine/runtime/select-tier.js';
import type { RunPolicy } from '../../engine/runtime/types.js';
import type { RunContext } from '../../engine/vocabulary/run-context.js';

const defaults = parse(readFileSync(new URL('../../policies/default.policy.yaml', import.meta.url), 'utf8')) as RunPolicy;
const policy = (over: (p: RunPolicy) => void = () => {}): RunPolicy => {
  const p = structuredClone(defaults);
  p.verification.tiers.tier0_fast.commands = ['npm run test:fast'];
  over(p);
  return p;
};
const changes = (files: number, loc: number, paths: string[] = ['src/a.ts']): RunContext['changes'] => ({ files, loc, paths, new_paths: [], deleted_paths: [] });
const green = (n: number): PastRun[] => Array.from({ length: n }, (_, i) => ({ run_id: `r${i + 1}`, stop_reason: 'completed' }));

t.test('auto picks tier0_fast when every gate holds, and says so', async (t) => {
  t.same(selectTier('auto', changes(2, 40), policy(), green(3)), { tier: 'tier0_fast', reason: 'auto: tier0_fast (2 files, 40 lines; the last 3 runs completed)' });
  t.equal(selectTier('auto', changes(5, 300), policy(), green(7)).tier, 'tier0_fast', 'the limits are inclusive; more history than needed is fine');
  t.equal(selectTier('auto', null, policy(), green(3)).tier, 'tier0_fast', 'no change measured counts as none');
});

t.test('each gate that fails keeps tier0 and is named', async (t) => {
  const cases: [string, RunContext['changes'], RunPolicy, PastRun[], string][] = [
    ['disabled', changes(1, 1), policy((p) => (p.tier0_fast.enabled = false)), green(3), 'tier0_fast.enabled is false'],
    ['no commands', changes(1, 1), policy((p) => (p.verification.tiers.tier0_fast.commands = [])), green(3), 'tier0_fast has no commands'],
    ['too many files', changes(6, 10), policy(), green(3), '6 files changed, more than tier0_fast.max_files 5'],
    ['too many lines', changes(1, 301), policy(), green(3), '301 lines changed, more than tier0_fast.max_loc 300'],
    ['short history', changes(1, 1), policy(), green(2), '2 finished run(s) on this repo, tier0_fast.require_green_runs is 3'],
    ['a red run among the last', changes(1, 1), policy(), [...green(2), { run_id: 'bad', stop_reason: 'verification_failed' }], 'run bad ended verification_failed; the last 3 must have completed'],
  ];
  for (const [name, ch, p, history, why] of cases) {
    t.same(selectTier('auto', ch, p, history), { tier: 'tier0', reason: `auto: tier0 (${why})` }, name);
  }
  t.equal(selectTier('auto', changes(1, 1), policy(), [{ run_id: 'old', stop_reason: 'parse_failed' }, ...green(3)]).tier, 'tier0_fast', 'only the last N count');
  t.equal(selectTier('auto', changes(1, 1), policy((p) => (p.tier0_fast.require_green_runs = 0)), []).tier, 'tier0_fast', 'require_green_runs 0 needs no history');
  t.equal(
    selectTier('auto', changes(1, 1), policy((p) => (p.tier0_fast.require_green_runs = 0)), [{ run_id: 'red', stop_reason: 'verification_failed' }]).tier,
    'tier0_fast',
    'and ignores a red history',
  );
});

t.test('risk triggers keep tier0_fast out and raise the tier they name', async (t) => {
  const p = policy((p) => {
    p.verification.risk_triggers = [
      { name: 'auth', paths: ['src/auth/**'], tier: 'tier1' },
      { name: 'docs', paths: ['docs/**'], tier: 'tier0' },
    ] as RunPolicy['verification']['risk_triggers'];
  });
  t.same(selectTier('auto', changes(1, 1, ['src/auth/login.ts']), p, green(3)), { tier: 'tier1', reason: 'risk trigger auth fired on src/auth/login.ts: tier1' });
  t.same(selectTier('auto', changes(1, 1, ['docs/a.md']), p, green(3)), { tier: 'tier0', reason: 'auto: tier0 (a risk trigger fired)' }, 'a trigger naming tier0 still rules out tier0_fast');
  t.same(selectTier('tier2', changes(1, 1, ['src/auth/x.ts']), p, []), { tier: 'tier2', reason: 'step asks for tier2' }, 'never lowered');
  t.same(fastGate(changes(1, 1), p, green(3), false), { ok: true, why: '1 file, 1 line; the last 3 runs completed' });
});

t.test('a fixed tier runs as written', async (t) => {
  t.same(selectTier('tier0_fast', changes(100, 10_000), policy(), []), { tier: 'tier0_fast', reason: 'step asks for tier0_fast' });
  t.same(selectTier('tier1', null, policy(), []), { tier: 'tier1', reason: 'step asks for tier1' });
});
