import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { printable } from '../../engine/util/printable.js';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';

t.test('control characters become U+FFFD; newlines and ordinary text stay', async (t) => {
  t.equal(printable('a\u001b[31mred\u0007\nnext\u009b\u007f é ✓'), 'a\ufffd[31mred\ufffd\nnext\ufffd\ufffd é ✓');
});

t.test('diagnostics quoting a file cannot drive the terminal', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-printable-'));
  const file = path.join(dir, 'x.pipeline.yaml');
  writeFileSync(file, 'apiVersion: engine/v1\nkind: Pipeline\nname: x\n"\\e[31mevil": 1\n');
  const io = memoryIo({ cwd: dir });
  t.equal(await main(['validate', file], io), 2);
  const err = io.err.join('');
  t.match(err, /E_UNKNOWN_KEY/);
  t.notMatch(err, /\u001b/, 'no escape character reaches stderr');
  t.match(err, /\ufffd\[31mevil/);
});

t.test('bidirectional overrides and isolates are shown as U+FFFD too: a goal cannot reorder what is read', async (t) => {
  // U+202E turned `evil.txt` into what reads as `txt.live`, in the summary and the report.
  t.equal(printable('goal \u202eevil\u2066x\u2069 \u200f\u061c ok'), 'goal \ufffdevil\ufffdx\ufffd \ufffd\ufffd ok');
});

t.test('JSON on stdout escapes C1 controls and bidirectional marks: still the same JSON', async (t) => {
  const { printJson } = await import('../../engine/cli/commands/validate.js');
  const io = memoryIo();
  const value = { goal: 'a\u009b31m\u202eb\u2028c' };
  printJson(io, value);
  const out = io.out.join('');
  t.notMatch(out, /[\u0080-\u009f\u202e\u2028]/, 'no raw C1, bidi or line separator');
  t.same(JSON.parse(out), value, 'the same value when parsed');
});
