import t from 'tap';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engine } from '../helpers/run-fixture.js';

// A task's start_from is copied into each scratch repo. One that holds the suite's scratch
// folder (the system's temp folder, or a folder above it) was copied into a folder of itself:
// cp refused with EINVAL and the suite ended with an internal error (exit 70), a scratch
// repo made; one that holds the suite's --store copied the store, growing run by run, into
// each repeat's starting commit. Both are now refused before a scratch repo is made.

const task = 'apiVersion: engine/v1\nkind: Task\ngoal: x\nstart_from: .\n';

t.test("a start_from that holds the suite's scratch folder or its store is refused before anything is copied", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-suite-self-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'seed.task.yaml'), task);
  writeFileSync(path.join(dir, 'a.txt'), 'hi\n');
  // The temp folder inside start_from (as TMPDIR), and reached through a link to it.
  const tmp = path.join(dir, 'tmp');
  mkdirSync(tmp);
  symlinkSync(tmp, path.join(dir, 'tmp-link'));
  for (const [what, env, extra] of [
    ['the temp folder inside start_from', { TMPDIR: tmp }, []],
    ['the temp folder inside start_from, named through a link', { TMPDIR: path.join(dir, 'tmp-link') }, []],
    ['the temp folder start_from itself', { TMPDIR: dir }, []],
    ['--store inside start_from', {}, ['--store', path.join(dir, 'store')]],
  ] as const) {
    const r = engine(['suite', 'seed.task.yaml', ...extra], { cwd: dir, env });
    t.equal(r.code, 2, `${what}: bad input (${r.stderr})`);
    t.match(r.stderr, /seed\.task\.yaml: error E_START_FROM start_from `\.` holds the suite's (scratch folder|run store) /, what);
    t.notMatch(r.stderr, /internal error|scratch repos under/, `${what}: nothing ran`);
    t.same(readdirSync(tmp), [], `${what}: no scratch folder made`);
    t.notOk(readdirSync(dir).some((n) => n.startsWith('engine-')), `${what}: nothing made in start_from`);
    t.notOk(readdirSync(dir).includes('store'), `${what}: no store made`);
  }
});
