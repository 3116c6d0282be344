import t from 'tap';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRunDetails } from '../../engine/report/read-details.js';
import { eventCheck } from '../../engine/store/index-runs.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'report-store', 'runs', 'g1');

// The page links a run's records "only the files that exist"; the engine writes none of them
// as a link. Without the OS sandbox a worker can put one there: a transcript named stdout.log
// that led to /etc/passwd, or to a file of the user's, was a record on the page, its link
// opening the file outside the store for whoever followed it, and in an archive of the store.
t.test('a record that is a link (to a file outside the store) is not linked from the page', async (t) => {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'engine-details-')), 'g1');
  t.teardown(() => rmSync(path.dirname(dir), { recursive: true, force: true }));
  cpSync(fixture, dir, { recursive: true });
  const outside = path.join(path.dirname(dir), 'secret.txt');
  writeFileSync(outside, 'secret\n');
  const call = path.join(dir, 'calls', '0001-plan-planner');
  mkdirSync(call, { recursive: true });
  writeFileSync(path.join(call, 'stderr.log'), 'real\n');
  symlinkSync(outside, path.join(call, 'stdout.log'));
  symlinkSync(outside, path.join(dir, 'memo.md'));
  // A folder of records that is a link: what is in it is outside the store too.
  const elsewhere = path.join(path.dirname(dir), 'elsewhere');
  mkdirSync(elsewhere);
  writeFileSync(path.join(elsewhere, 'stdout.log'), 'secret\n');
  writeFileSync(path.join(elsewhere, '0001-tier0.log'), 'secret\n');
  symlinkSync(elsewhere, path.join(dir, 'calls', '0002-implement-impl'));
  symlinkSync(elsewhere, path.join(dir, 'verify'));
  const details = readRunDetails(dir, await eventCheck(), 'g1');
  t.strictSame(details.files.filter((f) => f.startsWith('verify/') || f.startsWith('calls/0002')), [], 'nothing through a linked folder');
  t.notOk(details.files.includes('calls/0001-plan-planner/stdout.log'), 'the linked transcript is not a record');
  t.notOk(details.files.includes('memo.md'), 'nor the linked memo');
  t.ok(details.files.includes('calls/0001-plan-planner/stderr.log'), 'a real file beside it is');
});
