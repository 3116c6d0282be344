import t, { type Test } from 'tap';
import { linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { engine, makeFixture, readJsonl } from '../helpers/run-fixture.js';

// Resume writes a meta.json (`outcome: incomplete`) into each call the dead engine never
// finished, unless one is there. It asked existsSync, which follows a link: a call whose
// meta.json a worker had replaced by a link (or a hard link) to a file of the user's was left
// so, a record every reader refuses, and the call said nothing of itself. Such a name is no
// meta.json of the engine's: it is replaced (renamed over), the file it led to untouched.

/** A run killed as its first worker call started, its timeline's `worker.started` of that call. */
function killedInCall(t: Test) {
  const f = makeFixture();
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  const args = ['--repo', f.repo, '--no-progress'];
  const killed = engine(['run', f.pipelineFile, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'k', ...args], { cwd: f.dir, env: { ENGINE_FAULT: 'kill@worker.started#1' } });
  t.equal(killed.signal, 'SIGKILL', killed.stderr);
  const runDir = path.join(f.repo, '.engine', 'runs', 'k');
  const started = readJsonl(path.join(runDir, 'timeline.jsonl')).find((e) => e.type === 'worker.started');
  return { f, args, runDir, started };
}

for (const kind of ['symbolic', 'hard'] as const) {
  t.test(`a call's meta.json that is a ${kind} link: resume writes the call's own, the user's file untouched`, async (t) => {
    const { f, args, runDir, started } = killedInCall(t);
    const meta = path.join(runDir, started.call, 'meta.json');
    const user = path.join(f.dir, 'user.json');
    const text = '{"note": "the user\'s own file"}\n';
    writeFileSync(user, text);
    rmSync(meta, { force: true });
    if (kind === 'symbolic') symlinkSync(user, meta);
    else linkSync(user, meta);
    const resumed = engine(['resume', 'k', ...args], { cwd: f.dir });
    t.equal(resumed.code, 0, resumed.stderr);
    t.equal(readFileSync(user, 'utf8'), text, "the user's file is unchanged");
    t.equal(lstatSync(user).nlink, 1, "the user's file has its one name again");
    const st = lstatSync(meta);
    t.ok(st.isFile() && st.nlink === 1, "the call's meta.json is the engine's own file");
    t.equal(JSON.parse(readFileSync(meta, 'utf8')).outcome, 'incomplete', 'it says the call was interrupted');
  });
}

t.test("a call's folder that is a link out of the run: resume writes nothing where it leads", async (t) => {
  const { f, args, runDir, started } = killedInCall(t);
  const outside = path.join(f.dir, 'user-folder');
  mkdirSync(outside);
  rmSync(path.join(runDir, started.call), { recursive: true, force: true });
  symlinkSync(outside, path.join(runDir, started.call));
  const resumed = engine(['resume', 'k', ...args], { cwd: f.dir });
  t.not(resumed.code, 70, resumed.stderr);
  t.same(readdirSync(outside), [], 'nothing written into the folder the link leads to');
});
