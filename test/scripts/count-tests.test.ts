import t from 'tap';
// @ts-expect-error: a plain script, no declarations
import { listFailures } from '../../scripts/count-tests.mjs';

const TAP = [
  'TAP version 14',
  '# Subtest: test/a.test.ts',
  '    # Subtest: the run',
  '        ok 1 - starts',
  '        not ok 2 - ends completed',
  '          ---',
  '          found: stopped',
  '          wanted: completed',
  '          ...',
  '        1..2',
  '    not ok 1 - the run',
  '    1..1',
  'not ok 1 - test/a.test.ts',
  '# Subtest: test/b.test.ts',
  '    ok 1 - fine',
  '    1..1',
  'ok 2 - test/b.test.ts',
  '',
].join('\n');

t.test('each failed test with the subtests it sits in and its diagnostic block', async (t) => {
  t.same(listFailures(TAP), [
    'not ok: test/a.test.ts > the run > ends completed',
    '          ---',
    '          found: stopped',
    '          wanted: completed',
    '          ...',
    'not ok: test/a.test.ts > the run',
    'not ok: test/a.test.ts',
  ]);
  t.same(listFailures(TAP.replace(/not ok/g, 'ok')), [], 'nothing when all passed');
});
