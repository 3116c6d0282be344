import t from 'tap';
import { judgeProbe, probeFailureCause } from '../../engine/doctor/probe.js';
import { doctorLiveCommand } from '../../engine/doctor/run-doctor.js';

// `doctor --live` says plainly why a probe failed: no network, not logged in, or no answer
// within its 30 s bound.

t.test('the cause of a failed probe, from the CLI error text', async (t) => {
  const cases: [string, string | null, string | null][] = [
    ['failed', 'Invalid API key · Please run /login', 'not logged in'],
    ['failed', 'Not logged in · Please run /login', 'not logged in'],
    ['failed', 'unexpected status 401 Unauthorized: Missing bearer authentication', 'not logged in'],
    ['failed', 'stream disconnected before completion: error sending request for url (https://api.openai.com/v1/responses)', 'no network'],
    ['failed', 'API Error: Connection error. (cause: getaddrinfo ENOTFOUND api.anthropic.com)', 'no network'],
    ['incomplete', null, 'no answer within 30 s: no network or not logged in'],
    ['failed', 'model not found', null],
    ['failed', null, null],
  ];
  for (const [outcome, error, cause] of cases) t.equal(probeFailureCause(outcome, error), cause, `${outcome}: ${error}`);
});

t.test('the finding leads with the cause', async (t) => {
  const f = judgeProbe(['planner'], { outcome: 'incomplete', text: '', callDir: '/d', meta: { error: null, dialect: 'claude-stream-json', unknown_event_types: {} } });
  t.equal(f.message, 'worker planner: the probe call failed: no answer within 30 s: no network or not logged in (incomplete)');
  const g = judgeProbe(['planner'], { outcome: 'failed', text: '', callDir: '/d', meta: { error: 'Not logged in · Please run /login', dialect: 'claude-stream-json', unknown_event_types: {} } });
  t.equal(g.message, 'worker planner: the probe call failed: not logged in (failed: Not logged in · Please run /login)');
});

t.test("a failed probe's hint gives the doctor's own command again", async (t) => {
  const again = doctorLiveCommand({ pipelineFile: 'my pipe.yaml', repo: '../app', policyFiles: ['ci.policy.yaml'], sets: ['sandbox.mode=off'] });
  t.match(again, /doctor 'my pipe\.yaml' --repo \.\.\/app --policy ci\.policy\.yaml --set sandbox\.mode=off --live$/);
  t.match(doctorLiveCommand({ repo: '.' }), /doctor --live$/, 'nothing given: nothing added');
  const f = judgeProbe(['planner'], { outcome: 'failed', text: '', callDir: '/d', meta: { error: 'boom', dialect: 'claude-stream-json', unknown_event_types: {} } }, again);
  t.ok(f.hint?.endsWith(`then run \`${again}\` again`), f.hint ?? '');
});
