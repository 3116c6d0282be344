import t from 'tap';
import { readAnthropicRequest } from '../../engine/stub/read-anthropic-request.js';
import { readOpenAiRequest } from '../../engine/stub/read-openai-request.js';

const prompt = 'engine-phase: implement\nengine-contract: 1\nengine-step: impl\nengine-milestone: 1\nengine-attempt: 1\n\nDo it.';
const repair = 'engine-phase: repair\nengine-contract: 1\nengine-step: impl\nengine-milestone: 1\nengine-attempt: 1\nengine-repair-of: implement\n\nAgain.';

t.test('Messages API: headers from user text blocks, turns = assistant messages since the prompt, cwd from the system prompt', async (t) => {
  const body = {
    model: 'claude-x',
    stream: true,
    system: [{ type: 'text', text: 'You are...' }, { type: 'text', text: 'Environment\n - Primary working directory: /tmp/work dir\n - Is a git repository: false' }],
    tools: [{ name: 'Write' }, { name: 'Bash' }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: '<system-reminder>ctx</system-reminder>' }, { type: 'text', text: prompt }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'Write', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', content: 'engine-phase: plan (tool output is not a prompt)' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'b', name: 'Bash', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'b', content: 'ok' }] },
    ],
  };
  const r = readAnthropicRequest(body);
  t.equal(r.headers?.phase, 'implement');
  t.equal(r.turnIndex, 2);
  t.equal(r.cwd, '/tmp/work dir');
  t.equal(r.stream, true);
  t.same(r.tools, ['Write', 'Bash']);
});

t.test('Messages API: a resumed session counts turns from the newest prompt', async (t) => {
  const r = readAnthropicRequest({
    messages: [
      { role: 'user', content: prompt },
      { role: 'assistant', content: [{ type: 'text', text: 'garbage' }] },
      { role: 'user', content: repair },
    ],
  });
  t.equal(r.headers?.phase, 'repair');
  t.equal(r.headers?.repairOf, 'implement');
  t.equal(r.turnIndex, 0);
  t.equal(r.stream, false);
  t.equal(r.cwd, null);
});

t.test('Messages API: no headers anywhere is housekeeping', async (t) => {
  t.equal(readAnthropicRequest({ messages: [{ role: 'user', content: 'Write a 5-word title' }] }).headers, null);
  t.equal(readAnthropicRequest(null).headers, null, 'a body that is not an object');
});

t.test('Responses API: headers from the last user message, one turn per run of model items, cwd from environment_context', async (t) => {
  const body = {
    model: 'engine-scripted',
    stream: true,
    tools: [{ type: 'function', name: 'exec_command' }, { type: 'web_search' }],
    input: [
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'instructions' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\n  <cwd>/tmp/x</cwd>\n</environment_context>' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: prompt }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'writing' }] },
      { type: 'function_call', call_id: 'c1', name: 'exec_command', arguments: '{}' },
      { type: 'function_call', call_id: 'c2', name: 'exec_command', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c1', output: 'x' },
      { type: 'function_call_output', call_id: 'c2', output: 'y' },
      { type: 'function_call', call_id: 'c3', name: 'exec_command', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c3', output: 'z' },
    ],
  };
  const r = readOpenAiRequest(body);
  t.equal(r.headers?.step, 'impl');
  t.equal(r.turnIndex, 2, 'text + two calls of one reply are one turn');
  t.equal(r.cwd, '/tmp/x');
  t.same(r.tools, ['exec_command', 'web_search']);
});

t.test('Responses API: a resumed thread routes on the new prompt; a string input works', async (t) => {
  const r = readOpenAiRequest({
    input: [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: prompt }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'garbage' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: repair }] },
    ],
  });
  t.equal(r.headers?.phase, 'repair');
  t.equal(r.turnIndex, 0);
  t.equal(readOpenAiRequest({ input: prompt }).headers?.phase, 'implement');
  t.equal(readOpenAiRequest({ input: [] }).headers, null);
});
