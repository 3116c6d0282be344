import t from 'tap';
import { buildReply } from '../../engine/stub/build-reply.js';
import { matchesReply, routeRequest, selectReply } from '../../engine/stub/route-request.js';
import type { EngineHeaders, EngineScenario, ModelRequest } from '../../engine/stub/types.js';

const scenario: EngineScenario = {
  apiVersion: 'engine/v1',
  kind: 'Scenario',
  name: 'unit',
  replies: [
    { phase: 'plan', turns: [{ text: 'plan' }] },
    { phase: 'implement', milestone: 1, attempt: 2, turns: [{ text: 'm1 second try' }] },
    { phase: 'implement', milestone: 1, turns: [{ actions: [{ write: { path: 'a.txt', content: 'a\n' } }, { run: { cmd: 'ls' } }] }, { text: 'done' }] },
    { phase: 'repair', repair_of: 'review', turns: [{ text: 'repaired review' }] },
    { phase: 'review', step: 'final-review', milestone: '-', turns: [{ error: { message: 'overloaded', status: 529 } }] },
  ],
};

const h = (phase: string, more: Partial<EngineHeaders> = {}): EngineHeaders => ({ phase, contract: '1', step: phase, milestone: '1', attempt: '1', ...more });
const req = (headers: EngineHeaders | null, turnIndex = 0, api: 'anthropic' | 'openai' = 'anthropic'): ModelRequest => ({ api, headers, turnIndex, cwd: '/work/repo', stream: true, model: 'm', tools: [], structured: null });

t.test('selectReply takes the first entry whose given fields all match', async (t) => {
  const cases: [EngineHeaders, number][] = [
    [h('plan', { milestone: '-' }), 0],
    [h('implement', { attempt: '2' }), 1],
    [h('implement', { attempt: '1' }), 2],
    [h('implement', { attempt: '3' }), 2],
    [h('implement', { milestone: '2' }), -1],
    [h('repair', { repairOf: 'review' }), 3],
    [h('repair', { repairOf: 'plan' }), -1],
    [h('review', { step: 'final-review', milestone: '-' }), 4],
    [h('review', { step: 'final-review' }), -1],
    [h('explore'), -1],
  ];
  for (const [headers, want] of cases) t.equal(selectReply(scenario, headers), want, JSON.stringify(headers));
});

t.test('an entry without milestone matches prompts outside milestones too', async (t) => {
  t.ok(matchesReply({ phase: 'plan', turns: [{ text: 'x' }] }, { phase: 'plan' }));
  t.ok(matchesReply({ milestone: '-', turns: [{ text: 'x' }] }, { phase: 'plan' }), 'an absent milestone header is "-"');
});

t.test('routeRequest: housekeeping, turn, uncovered, turns exhausted', async (t) => {
  t.same(routeRequest(scenario, 's.yaml', req(null)), { kind: 'housekeeping' });
  t.same(routeRequest(scenario, 's.yaml', req(h('implement'), 1)), { kind: 'turn', replyIndex: 2, turnIndex: 1, turnCount: 2 });
  const uncovered = routeRequest(scenario, 'dir/s.yaml', req(h('explore')));
  t.equal(uncovered.kind, 'uncovered');
  t.match(uncovered.kind === 'uncovered' ? uncovered.message : '', /scenario dir\/s\.yaml \(unit\) has no reply for engine-phase: explore, engine-step: explore, engine-milestone: 1, engine-attempt: 1/);
  const exhausted = routeRequest(scenario, 's.yaml', req(h('implement'), 2));
  t.match(exhausted.kind === 'uncovered' ? exhausted.message : '', /reply #3 has 2 turn\(s\), the CLI asked for turn 3/);
});

t.test('buildReply translates actions per API and keeps ids reproducible', async (t) => {
  const route = routeRequest(scenario, 's.yaml', req(h('implement')));
  const claude = buildReply(scenario, route, req(h('implement')), 'toolu_x');
  t.same(claude, {
    kind: 'message',
    text: '',
    calls: [
      { id: 'toolu_x_1', name: 'Write', input: { file_path: '/work/repo/a.txt', content: 'a\n' } },
      { id: 'toolu_x_2', name: 'Bash', input: { command: 'ls', description: 'Run ls' } },
    ],
  });
  const codex = buildReply(scenario, route, req(h('implement'), 0, 'openai'), 'call_x');
  t.same(codex.kind === 'message' ? codex.calls.map((c) => [c.id, c.name]) : [], [['call_x_1', 'exec_command'], ['call_x_2', 'exec_command']]);
});

t.test('buildReply: housekeeping text, uncovered and scripted errors', async (t) => {
  t.same(buildReply(scenario, { kind: 'housekeeping' }, req(null), 'p'), { kind: 'message', text: 'ok', calls: [] });
  t.same(buildReply(scenario, { kind: 'uncovered', message: 'no' }, req(h('x')), 'p'), { kind: 'error', status: 400, errorType: 'invalid_request_error', message: 'no' });
  const headers = h('review', { step: 'final-review', milestone: '-' });
  t.same(buildReply(scenario, routeRequest(scenario, 's', req(headers)), req(headers), 'p'), { kind: 'error', status: 529, errorType: 'api_error', message: 'overloaded' });
});
