import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engine } from '../helpers/run-fixture.js';

// A hostile review: a policy of 300,000 unknown keys held `validate` (and every command that
// loads a policy) for about 45 s building a did-you-mean hint and a position for each one, one
// synchronous stretch no SIGTERM could end, and printed 300,000 lines. A file's unknown keys
// are named up to a limit, the rest counted in one more diagnostic of the same code. The
// test uses 3,000 keys: the limit is what it checks, and 300,000 cost the suite 15 s of CPU.

t.test('a policy of 3,000 unknown keys: the first 100 named, the rest counted, exit 2', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-many-keys-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'big.policy.yaml');
  const keys = Array.from({ length: 3_000 }, (_, i) => `unknown_key_${i}: 1\n`);
  writeFileSync(file, `apiVersion: engine/v1\nkind: Policy\nbudgets:\n  max_tickz: 3\n${keys.join('')}`);
  const r = engine(['validate', file], { cwd: dir });
  t.equal(r.code, 2, r.stderr.slice(-500));
  const out = `${r.stdout}${r.stderr}`;
  const named = out.match(/error E_UNKNOWN_KEY unknown key `unknown_key_\d+`/g) ?? [];
  t.equal(named.length, 99, 'the first unknown keys are named (with the one in budgets, 100)');
  t.match(out, /big\.policy\.yaml:4:3: error E_UNKNOWN_KEY unknown key `max_tickz` in `budgets` \(did you mean `max_ticks`\?\)/, 'a nested one keeps its place and its hint');
  t.match(out, /big\.policy\.yaml:5:1: error E_UNKNOWN_KEY unknown key `unknown_key_0`/);
  t.match(out, /big\.policy\.yaml:103:1: error E_UNKNOWN_KEY unknown key `unknown_key_98`/);
  t.notMatch(out, /`unknown_key_99`/, 'the 101st is not named');
  t.match(out, /big\.policy\.yaml:104:1: error E_UNKNOWN_KEY and 2,901 more unknown keys, not named/, 'the rest counted, at the first left out');
  t.ok(out.split('\n').length < 200, 'a hundred lines or so, not 3,000');
  const json = engine(['validate', file, '--json'], { cwd: dir });
  t.equal(json.code, 2);
  const doc = JSON.parse(json.stdout);
  const diagnostics = doc.files?.[0]?.diagnostics ?? doc.diagnostics ?? doc[0]?.diagnostics;
  t.equal(diagnostics.length, 101, '100 named and one that counts the rest');
  t.same(diagnostics.at(-1), { code: 'E_UNKNOWN_KEY', severity: 'error', message: 'and 2,901 more unknown keys, not named', file, line: 104, col: 1, pointer: '/unknown_key_99', hint: 'only the first 100 unknown keys of a file are named' }, JSON.stringify(diagnostics.at(-1)));
});
