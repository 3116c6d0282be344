import t from 'tap';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { pipelineRules, type Step } from '../../engine/compile/check.js';
import { runRules, toPointer } from '../../engine/vocabulary/rule-context.js';
import type { EnginePipeline } from '../../engine/generated/pipeline.js';

/** Step `i` with every step type's keys, for mutations that break the rules. */
const st = (p: EnginePipeline, i: number): Step => p.steps[i] as Step;
const base = (): EnginePipeline =>
  parse(readFileSync(new URL('../../pipelines/default.pipeline.yaml', import.meta.url), 'utf8')) as EnginePipeline;

/** code@pointer for each diagnostic: positions are the loader's job, pointers are ours. */
function check(p: EnginePipeline): string[] {
  return runRules(pipelineRules(), 'p.yaml', p, () => ({ line: 1, col: 1 })).map((d) => `${d.code}@${d.pointer}`);
}

const cases: [string, (p: EnginePipeline) => void, string[]][] = [
  ['the default pipeline is clean', () => {}, []],
  ['unknown worker', (p) => (st(p, 1).worker = 'planer'), ['E_UNKNOWN_WORKER@/steps/1/worker']],
  ['unknown guard', (p) => (st(p, 0).when = 'explore_enabld'), ['E_UNKNOWN_GUARD@/steps/0/when']],
  ['unknown step in a target', (p) => (st(p, 1).next = 'next_milestne'), ['E_UNKNOWN_STEP@/steps/1/next']],
  ['unknown start', (p) => (p.start = 'nowhere'), ['E_UNKNOWN_STEP@/start']],
  ['duplicate step id', (p) => (p.steps[8]!.id = 'review'), ['E_DUPLICATE_STEP@/steps/8/id', 'E_UNKNOWN_STEP@/steps/2/on/done']],
  ['outcome that the step type has not', (p) => (st(p, 4).on!.approve = 'review'), ['E_UNKNOWN_OUTCOME@/steps/4/on/approve']],
  ['outcome without a target', (p) => delete st(p, 3).on!.blocked, ['E_UNHANDLED_OUTCOME@/steps/3/on']],
  ['bound without exhausted', (p) => delete (st(p, 4).on!.fail as { exhausted?: unknown }).exhausted, ['E_RETRY_BOUND@/steps/4/on/fail']],
  ['bound naming an unknown policy key', (p) => ((st(p, 4).on!.fail as { attempts?: string }).attempts = 'verification.max_attempt'), ['E_UNKNOWN_POLICY_KEY@/steps/4/on/fail/attempts']],
  ['a retry loop without a bound', (p) => (st(p, 4).on!.fail = 'implement'), ['E_UNBOUNDED_LOOP@/steps/3/id']],
  // A contract review: of two loops with no bound, only the first was said.
  ['two loops without a bound, each said', (p) => {
    st(p, 4).on!.fail = 'implement';
    p.steps.push({ id: 'a', type: 'checkpoint', next: 'a' }, { id: 'b', type: 'checkpoint', next: 'b' });
    st(p, 8).on = { pass: 'a', fail: 'b' };
  }, ['E_NO_TERMINAL@/steps/8/id', 'E_NO_TERMINAL@/steps/9/id', 'E_NO_TERMINAL@/steps/10/id', 'E_UNBOUNDED_LOOP@/steps/9/id', 'E_UNBOUNDED_LOOP@/steps/10/id', 'E_UNBOUNDED_LOOP@/steps/3/id']],
  ['a step nothing leads to', (p) => p.steps.push({ id: 'orphan', type: 'checkpoint', next: { stop: 'completed' } }), ['E_UNREACHABLE_STEP@/steps/9/id']],
  ['a step with no way to stop', (p) => {
    st(p, 8).on = { pass: 'spin', fail: { stop: 'verification_failed' } };
    p.steps.push({ id: 'spin', type: 'checkpoint', next: 'spin2' }, { id: 'spin2', type: 'advance', on: { more: 'spin', done: 'spin' } });
  }, ['E_NO_TERMINAL@/steps/9/id', 'E_NO_TERMINAL@/steps/10/id', 'E_UNBOUNDED_LOOP@/steps/9/id']],
  ['stop and goto together', (p) => (st(p, 8).on!.pass = { stop: 'completed', goto: 'plan' }), ['E_TARGET@/steps/8/on/pass']],
];

for (const [name, mutate, expected] of cases) {
  t.test(name, async (t) => {
    const p = base();
    mutate(p);
    t.same(check(p), expected);
  });
}

t.test('hints name the likely intended value', async (t) => {
  const p = base();
  st(p, 1).worker = 'planer';
  const [d] = runRules(pipelineRules(), 'p.yaml', p, () => ({ line: 3, col: 5 }));
  t.equal(d!.hint, 'did you mean `planner`?');
  t.equal(d!.line, 3);
  t.equal(toPointer(['a/b', 'c~d']), '/a~1b/c~0d');
});
