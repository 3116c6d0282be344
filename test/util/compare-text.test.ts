import t from 'tap';
import { compareText } from '../../engine/util/compare-text.js';

t.test('code-unit order, whatever the locale', async (t) => {
  // A locale's collation would put "a" before "B" and ignore the punctuation of run ids.
  t.same(['b', 'B', 'a', '_x', 'A', 'a-2', 'a_1', '2026-12-01T10:00:00.000Z', '2026-12-01T09:59:59.999Z'].sort(compareText), [
    '2026-12-01T09:59:59.999Z',
    '2026-12-01T10:00:00.000Z',
    'A',
    'B',
    '_x',
    'a',
    'a-2',
    'a_1',
    'b',
  ]);
  t.equal(compareText('same', 'same'), 0);
});
