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
