import t from 'tap';
import { matchesGlob } from '../../engine/util/name-glob.js';

t.test('* any run, ? one character, everything else literal, the whole name', async (t) => {
  t.ok(matchesGlob('OPENAI_API_KEY', '*_KEY', false));
  t.notOk(matchesGlob('OPENAI_API_KEYS', '*_KEY', false), 'anchored at the end');
  t.notOk(matchesGlob('X_OPENAI', 'OPENAI*', false), 'anchored at the start');
  t.ok(matchesGlob('A1', 'A?', false));
  t.notOk(matchesGlob('A12', 'A?', false));
  t.ok(matchesGlob('a.b+c(d)[e]$^{f}|g\\h', 'a.b+c(d)[e]$^{f}|g\\h', false), 'regular-expression characters are literal');
  t.notOk(matchesGlob('aXb', 'a.b', false), 'a dot is a dot');
});

t.test('case: the same pattern compiled once per mode, the modes kept apart', async (t) => {
  t.ok(matchesGlob('my_token', '*_TOKEN', true));
  t.notOk(matchesGlob('my_token', '*_TOKEN', false), 'case-sensitive after a case-insensitive use of the same pattern');
  t.ok(matchesGlob('my_token', '*_TOKEN', true), 'and the other way round');
});

t.test('many patterns: past the cap the cache starts again and answers stay right', async (t) => {
  const wrong = Array.from({ length: 2500 }, (_, i) => i).filter((i) => !matchesGlob(`V${i}_X`, `V${i}_*`, false));
  t.same(wrong, [], 'each of 2,500 patterns matches its name');
  t.notOk(matchesGlob('V1_X', 'V2_*', false));
});
