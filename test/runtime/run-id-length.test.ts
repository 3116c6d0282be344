import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { engine } from '../helpers/run-fixture.js';
import { makeFixture as makeInstantFixture } from '../../bench/fixtures/instant-run.mjs';
import { isRunId, MAX_RUN_ID_LENGTH } from '../../engine/vocabulary/run-layout.js';
import { createRunId, systemRunEnv } from '../../engine/runtime/clock.js';

// A long but legal --run-id: at 250 characters the run began and ended with ENAMETOOLONG on
// `<id>.homes` (exit 70, and every resume the same), at 251–255 on the branch's
// `refs/heads/engine/<id>.lock`, at 256 on the run directory itself. Every name the engine
// makes of an id fits a file name's 255 bytes up to the limit, and a longer id is bad input.

const idOf = (n: number) => 'a'.repeat(n);

t.test('a run id is at most 249 characters, what `<id>.homes` leaves of 255', async (t) => {
  t.equal(MAX_RUN_ID_LENGTH, 249);
  for (const [n, ok] of [[1, true], [26, true], [248, true], [249, true], [250, false], [251, false], [255, false], [256, false], [300, false]] as const) {
    t.equal(isRunId(idOf(n)), ok, `${n} characters`);
  }
});

t.test('the ids the engine makes fit', async (t) => {
  const id = createRunId(systemRunEnv());
  t.ok(isRunId(id), id);
  t.ok(id.length <= MAX_RUN_ID_LENGTH);
});

t.test('engine run takes an id at the limit, and refuses a longer one as E_USAGE naming the limit', async (t) => {
  const f = makeInstantFixture(1, 'off');
  const store = path.join(f.repo, '.engine', 'runs');
  const runsOf = () => (existsSync(store) ? readdirSync(store).filter((n) => !n.startsWith('.') && n !== 'index.jsonl') : []);
  for (const n of [250, 251, 255, 256]) {
    const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', idOf(n), '--no-progress'], { cwd: f.dir });
    t.equal(r.code, 2, `${n}: ${r.stderr}`);
    t.match(r.stderr, new RegExp(`error E_USAGE the run id is ${n} characters long: at most 249 `), `${n}`);
    t.same(runsOf(), [], `${n}: no run was made`);
  }
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', idOf(249), '--no-progress'], { cwd: f.dir });
  t.equal(r.code, 0, r.stderr);
  t.same(runsOf(), [idOf(249)]);
});
