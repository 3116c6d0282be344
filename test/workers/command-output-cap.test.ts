import t from 'tap';
import { createCommandParser } from '../../engine/workers/parse/command-output.js';

const exit = { exitCode: 0, signal: null, timedOut: false, idleTimedOut: false, spawnError: null } as const;

// A command worker's text or json answer is its whole stdout, kept to be parsed at the end: a
// worker printing without end (340 MB in a hostile review) filled the engine's heap until V8
// ended the process, the run left 'running'. Past the cap the lines are dropped and the call fails.
t.test('text and json output past the cap: the call fails saying why, and the lines are not kept', async (t) => {
  for (const output of ['text', 'json'] as const) {
    const p = createCommandParser(output, { answerCapBytes: 1000 });
    for (let i = 0; i < 100; i++) p.line('x'.repeat(99));
    const r = p.end(exit, '');
    t.equal(r.outcome, 'failed', `${output}: failed`);
    t.match(r.error, /stdout passed 1000 bytes: no answer is read/, `${output}: says why`);
    t.equal(r.finalText, '', `${output}: no answer`);
  }
  const under = createCommandParser('text', { answerCapBytes: 1000 });
  for (let i = 0; i < 9; i++) under.line('x'.repeat(99));
  const r = under.end(exit, '');
  t.equal(r.outcome, 'ok', 'under the cap: the answer as before');
  t.equal(r.finalText.length, 9 * 100 - 1);
});
