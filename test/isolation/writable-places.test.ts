// test cost: about 6 s: one sandboxed run that stops with its homes kept.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { killByEnv } from '../helpers/kill-by-env.js';
import { makeIsoFixture, modes, readState, runRun } from './helpers/fixture.js';

// Under the OS sandbox a worker writes its workspace, its private home, a private /tmp and
// the policy's sandbox.writable paths. None of them may be inside the user's checkout: a file
// planted there is found and run, outside the sandbox, by the user's own tools (`node --test`
// runs every *.test.js it finds, also under .engine/). A hostile probe found the homes there
// (`<repo>/.engine/runs/<id>/homes/<worker>/`): it wrote a test into its home, stopped the run
// so the home was kept, and the user's next `node --test` ran it. Here the worker writes into
// every writable mount it can see; then nothing of it may be found anywhere in the repo.

const PLANTED = 'planted-by-worker.test.js';

const sh = [
  // Field 5 of mountinfo is the mount point, field 6 its options (rw or ro).
  `for m in $(awk '$6 ~ /(^|,)rw(,|$)/ {print $5}' /proc/self/mountinfo); do`,
  '  case "$m" in /dev|/dev/*|/proc|/proc/*|/sys|/sys/*) continue;; esac;',
  `  if [ -d "$m" ] && printf 'require("fs").writeFileSync("PWNED", "ran outside the sandbox")\\n' > "$m/${PLANTED}" 2>/dev/null; then echo "wrote $m" >> "$ISO_SCRATCH/attacks.log"; fi;`,
  'done; true',
].join('\n');

/** Every path under `dir` named `name`, links not followed. */
function findNamed(dir: string, name: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.name === name) out.push(p);
    if (e.isDirectory() && !e.isSymbolicLink()) out.push(...findNamed(p, name));
  }
  return out;
}

for (const { mode, skip } of modes().filter((m) => m.mode === 'bwrap')) {
  t.test(`sandbox.mode=${mode}: no place a worker can write is inside the user's checkout, its run store included`, { skip }, async (t) => {
    const id = 'writable-places';
    const f = makeIsoFixture({ spec: { plan: [{ id: 'm1', goal: 'write a', files_expected: ['src/a.txt'] }, { id: 'm2', goal: 'write b', files_expected: ['src/b.txt'] }], calls: { implement: { sh } } }, runId: id });
    t.teardown(() => {
      killByEnv(`ISO_SCRATCH=${f.scratch}`);
      if (!process.env.ISO_KEEP) rmSync(f.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    });
    // The file it leaves in the workspace is outside the allowed roots: the run stops there (or
    // by its budget), and a stopped run keeps its homes for a resume.
    const r = runRun(f, id, mode, ['--max-ticks', '8']);
    t.not(r.code, 70, r.stderr.slice(-1500));
    const state = readState(f, id);
    t.equal(state?.status, 'stopped', `the run stopped, keeping its homes (${state?.stop_reason})`);
    const attacks = path.join(f.scratch, 'attacks.log');
    const wrote = existsSync(attacks) ? readFileSync(attacks, 'utf8') : '';
    t.match(wrote, new RegExp(`^wrote ${state?.workspace}\\.homes/implementer$`, 'm'), `the worker wrote its home (${wrote.trim().replace(/\n/g, '; ')})`);
    t.match(wrote, new RegExp(`^wrote ${state?.workspace}$`, 'm'), 'and its workspace');
    const home = path.join(`${state?.workspace}.homes`, 'implementer', PLANTED);
    t.ok(existsSync(home), 'the planted file is in the home, beside the workspace, kept for a resume');
    t.same(findNamed(f.repo, PLANTED), [], 'nothing the worker wrote is anywhere in the user\'s repo, .engine/runs included');
    t.notOk(existsSync(path.join(f.repo, '.engine', 'runs', id, 'homes')), 'the run store holds no homes');
  });
}
