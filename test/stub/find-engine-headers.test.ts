import t from 'tap';
import { describeHeaders, findEngineHeaders } from '../../engine/stub/find-engine-headers.js';

const block = (phase: string, step: string) => `engine-phase: ${phase}\nengine-contract: 1\nengine-step: ${step}\nengine-milestone: 2\nengine-attempt: 3`;

t.test('reads every header of a block', async (t) => {
  t.same(findEngineHeaders(`${block('implement', 'impl')}\nengine-repair-of: implement\n\nbody`), {
    phase: 'implement', contract: '1', step: 'impl', milestone: '2', attempt: '3', repairOf: 'implement',
  });
});

t.test('the last block wins when a CLI wraps the prompt or quotes an earlier one', async (t) => {
  const text = `<context>\n${block('plan', 'old')}\n</context>\n\n${block('review', 'new')}\nPlease review.`;
  t.equal(findEngineHeaders(text)?.step, 'new');
  t.equal(findEngineHeaders(`${block('review', 'last-at-end')}`)?.step, 'last-at-end', 'a block ending the text counts');
});

t.test('no block, or a block without engine-phase, is housekeeping (null)', async (t) => {
  t.equal(findEngineHeaders('Generate a title for this conversation.'), null);
  t.equal(findEngineHeaders('engine-step: x\nengine-attempt: 1'), null);
  t.equal(findEngineHeaders(''), null);
});

t.test('CRLF line ends and trailing blanks are tolerated', async (t) => {
  t.same(findEngineHeaders('engine-phase: plan  \r\nengine-milestone: -\r\n'), { phase: 'plan', milestone: '-' });
});

t.test('describeHeaders names the routing headers in order', async (t) => {
  t.equal(describeHeaders({ phase: 'repair', step: 's', milestone: '-', attempt: '1', repairOf: 'plan' }), 'engine-phase: repair, engine-step: s, engine-milestone: -, engine-attempt: 1, engine-repair-of: plan');
});

// A hostile probe's worker sent the scripted model a request with a long run of blanks in it:
// the header and working-directory patterns were tried from every blank of the run, and the
// engine (the model runs in its process) did nothing else for minutes. A million blanks now
// read in one pass: were they not, this test would not end before tap's limit.
t.test('a long run of blanks ends neither a header read nor a working directory read', async (t) => {
  const blanks = ' \t'.repeat(500_000);
  t.same(findEngineHeaders(`engine-phase: ${blanks}plan${blanks}\nengine-step:${blanks}x`), { phase: 'plan', step: 'x' }, 'the values trimmed of the blanks around them');
  t.equal(findEngineHeaders(`engine-phase:${blanks}\u0000`)?.phase, '\u0000', 'a value after the blanks');
  const { findCwd } = await import('../../engine/stub/read-anthropic-request.js');
  t.equal(findCwd(`Working directory: /ws/run${' '.repeat(1_000_000)}x`), `/ws/run${' '.repeat(1_000_000)}x`, 'blanks inside the line are the path');
  t.equal(findCwd(`Primary working directory: /ws/run${' \t\r'.repeat(300_000)}\nnext`), '/ws/run', 'blanks at its end are not');
  t.equal(findCwd(`Working directory:${' '.repeat(1_000_000)}x`), null, 'no path after the blanks');
});
