import t from 'tap';
import { MAX_TIMER_MS, setLongTimeout } from '../../engine/util/long-timeout.js';

t.test('a delay past what one timer keeps waits; a short one fires; clear stops either', async (t) => {
  let long = 0;
  const l = setLongTimeout(() => long++, MAX_TIMER_MS + 1);
  let short = 0;
  const s = setLongTimeout(() => short++, 5);
  let cleared = 0;
  const c = setLongTimeout(() => cleared++, 20);
  c.clear();
  await new Promise((r) => setTimeout(r, 80));
  t.equal(long, 0, 'not after 1 ms, as a plain setTimeout of that delay would');
  t.equal(short, 1);
  t.equal(cleared, 0);
  l.clear();
  s.clear();
});
