import t from 'tap';
import { checkMarkerOnly } from '../../engine/doctor/marker-only.js';

const block = 'BEGIN_MARKERS\n{"ok": true}\nEND_MARKERS';

t.test('compliant answers', async (t) => {
  const cases: [string, string][] = [
    ['the block alone', block],
    ['the block with blank lines around it', `\n\n${block}\n\n`],
    ['the block in a code fence', '```\n' + block + '\n```'],
    ['the block in a json fence', '```json\n' + block + '\n```'],
    ['a fence inside the block', 'BEGIN_MARKERS\n```json\n{"ok": true}\n```\nEND_MARKERS'],
    ['CRLF line ends', block.replace(/\n/g, '\r\n')],
  ];
  for (const [name, answer] of cases) t.same(checkMarkerOnly(answer), { ok: true, value: { ok: true } }, name);
});

t.test('answers that break marker-only compliance', async (t) => {
  const cases: [string, string, string, string | null][] = [
    ['prose before the block', `Sure! Here it is:\n${block}`, 'prose', 'Sure! Here it is:'],
    ['prose after the block', `${block}\nLet me know if you need more.`, 'prose', 'Let me know if you need more.'],
    ['prose on both sides', `Hi.\n${block}\nBye.`, 'prose', 'Hi. Bye.'],
    ['prose outside a fenced block', 'Here:\n```\n' + block + '\n```', 'prose', 'Here: ``` ```'],
    ['two blocks', `${block}\n${block}`, 'several_blocks', null],
    ['no block at all', 'I checked the protocol, all good.', 'no_block', 'I checked the protocol, all good.'],
    ['an empty answer', '  \n', 'empty', null],
    ['a block without END_MARKERS', 'BEGIN_MARKERS\n{"ok": true}', 'no_block', 'BEGIN_MARKERS {"ok": true}'],
    ['invalid JSON in the block', 'BEGIN_MARKERS\n{ok: true}\nEND_MARKERS', 'invalid_block', '{ok: true}'],
    ['an array instead of an object', 'BEGIN_MARKERS\n[true]\nEND_MARKERS', 'invalid_block', '[true]'],
  ];
  for (const [name, answer, problem, excerpt] of cases) {
    const r = checkMarkerOnly(answer);
    t.equal(r.ok, false, name);
    if (!r.ok) {
      t.equal(r.problem, problem, `${name}: ${problem}`);
      t.equal(r.excerpt, excerpt, `${name}: the excerpt`);
    }
  }
});

t.test('a long excerpt is clipped to one line', async (t) => {
  const r = checkMarkerOnly(`${'word '.repeat(100)}\n${block}`);
  t.equal(r.ok, false);
  if (!r.ok) {
    t.equal(r.excerpt!.length, 160);
    t.ok(r.excerpt!.endsWith('…'));
  }
});
