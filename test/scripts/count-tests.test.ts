import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain script, no declarations
import { listFailures } from '../../scripts/count-tests.mjs';

const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'count-tests.mjs');

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

t.test('the count line CI prints, and the end-to-end tests\' own with their label', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-count-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'log');
  writeFileSync(log, `${TAP}# { total: 3, pass: 2, fail: 1 }\n`);
  const count = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' }).stdout;
  t.equal(count(log), '2 passed, 1 failed\n');
  t.equal(count('--label', 'end-to-end tests', log), 'end-to-end tests: 2 passed, 1 failed\n');
  t.match(count('--failures', '--label', 'end-to-end tests', log), /^failed end-to-end tests \(from the test run's output\):\nnot ok: test\/a\.test\.ts > the run > ends completed\n/);
  writeFileSync(log, 'TAP version 14\n');
  t.equal(count('--label', 'end-to-end tests', log), 'end-to-end tests: 0 passed, 1 failed\n', 'a run without its summary failed');
});
