import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runVerification, createTail } from '../../engine/verify/index.js';
import { groupAlive, processAlive } from '../../engine/proc/spawn-group.js';

function workDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-verify-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}


const base = (dir: string) => ({ cwd: dir, env: process.env, logPath: path.join(dir, 'store', 'verify', '0001-tier0.log') });

t.test('every command exits 0: pass, log has headers, exit codes and output', async (t) => {
  const dir = workDir(t);
  const opts = base(dir);
  const r = await runVerification({ ...opts, tier: 'tier0', timeoutS: 30, commands: ['echo first out', 'echo to-stderr >&2; pwd'] });
  t.equal(r.pass, true);
  t.equal(r.outcome, 'pass');
  t.equal(r.skipped, false);
  t.same(r.results.map((c) => [c.command, c.exitCode, c.timedOut]), [
    ['echo first out', 0, false],
    ['echo to-stderr >&2; pwd', 0, false],
  ]);
  t.match(r.results[1]!.outputTail, /to-stderr/);
  t.match(r.results[1]!.outputTail, dir);
  const log = readFileSync(opts.logPath, 'utf8');
  t.match(log, /^\$ echo first out\nfirst out\n/m);
  t.match(log, /# \[exit 0; duration \d+ ms\] echo first out/);
  t.match(log, /^\$ echo to-stderr >&2; pwd$/m);
  t.match(log, /# tier0 pass\n$/);
  t.same(readdirSync(path.dirname(opts.logPath)), ['0001-tier0.log'], 'no temp file left');
});

t.test('a failing command fails the tier and stops it', async (t) => {
  const dir = workDir(t);
  const opts = base(dir);
  const r = await runVerification({ ...opts, tier: 'tier0', timeoutS: 30, commands: ['echo ok', 'echo "assert failed: 1 != 2"; exit 3', 'touch should-not-run'] });
  t.equal(r.pass, false);
  t.equal(r.outcome, 'fail');
  t.equal(r.results.length, 2);
  t.equal(r.results[1]!.exitCode, 3);
  t.match(r.results[1]!.outputTail, /assert failed: 1 != 2/);
  t.notOk(existsSync(path.join(dir, 'should-not-run')));
  t.match(readFileSync(opts.logPath, 'utf8'), /# \[exit 3; duration \d+ ms\] echo "assert failed/);
});

t.test('past the limit: the command and its own child are ended, the tier fails', async (t) => {
  const dir = workDir(t);
  const opts = base(dir);
  const pids: number[] = [];
  // The shell starts a child of its own that would sleep forever, then waits on it.
  const r = await runVerification({
    ...opts,
    tier: 'tier2',
    timeoutS: 1,
    graceMs: 200,
    commands: ['sleep 1000 & echo child $!; wait'],
    onSpawn: (pid) => pids.push(pid),
  });
  t.equal(r.pass, false);
  t.equal(r.outcome, 'fail');
  t.equal(r.skipped, false);
  t.equal(r.results[0]!.timedOut, true);
  t.not(r.results[0]!.exitCode, 0);
  t.equal(pids.length, 1);
  t.notOk(groupAlive(pids[0]!), 'no process of the group is left');
  const child = Number(/child (\d+)/.exec(r.results[0]!.outputTail)?.[1]);
  t.ok(child > 0);
  t.notOk(processAlive(child), 'the sleeping child is gone');
  t.match(readFileSync(opts.logPath, 'utf8'), /timed out after 1 s/);
});

t.test('tier1 past its limit is skipped, not failed', async (t) => {
  const dir = workDir(t);
  const logPath = path.join(dir, 'verify', '0002-tier1.log');
  const r = await runVerification({ cwd: dir, env: process.env, logPath, tier: 'tier1', timeoutS: 1, graceMs: 200, commands: ['true', 'sleep 1000'] });
  t.equal(r.skipped, true);
  t.equal(r.outcome, 'skipped');
  t.equal(r.pass, false);
  t.match(r.note, /skipped: sleep 1000 went past the tier1 limit of 1 s/);
  t.equal(r.results.length, 2);
  t.match(readFileSync(logPath, 'utf8'), /# tier1 skipped/);
});

t.test('an empty list passes and is recorded as no commands', async (t) => {
  const dir = workDir(t);
  const opts = base(dir);
  const r = await runVerification({ ...opts, tier: 'tier0_fast', timeoutS: 30, commands: [] });
  t.equal(r.pass, true);
  t.equal(r.note, 'no commands');
  t.same(r.results, []);
  t.match(readFileSync(opts.logPath, 'utf8'), /no commands/);
});

t.test('aborting ends the running command and fails the tier', async (t) => {
  const dir = workDir(t);
  const controller = new AbortController();
  const pids: number[] = [];
  const r = await runVerification({
    cwd: dir, env: process.env, logPath: path.join(dir, 'v.log'), tier: 'tier2', timeoutS: 0, graceMs: 200,
    commands: ['sleep 1000', 'touch later'],
    signal: controller.signal,
    onSpawn: (pid) => { pids.push(pid); setTimeout(() => controller.abort(), 100); },
  });
  t.equal(r.pass, false);
  t.equal(r.note, 'aborted');
  t.equal(r.results.length, 1);
  t.notOk(groupAlive(pids[0]!));
  t.notOk(existsSync(path.join(dir, 'later')));
});

t.test('the output tail keeps the last bytes of long output', async (t) => {
  const dir = workDir(t);
  const r = await runVerification({ ...base(dir), tier: 'tier0', timeoutS: 30, commands: ['i=0; while [ $i -lt 3000 ]; do echo "line $i"; i=$((i+1)); done'] });
  const tail = r.results[0]!.outputTail;
  t.ok(Buffer.byteLength(tail) <= 4096);
  t.match(tail, /line 2999\n$/);
  t.notMatch(tail, /line 1\n/);
  t.match(readFileSync(base(dir).logPath, 'utf8'), /^line 0$/m, 'the log keeps everything');
});

t.test('createTail starts at a character boundary', async (t) => {
  const tail = createTail(3);
  tail.push(Buffer.from('aaaé')); // é is 2 bytes: the last 3 bytes cut it in half
  tail.push(Buffer.from('ü'));
  t.equal(tail.text(), 'ü', 'a cut multi-byte character is dropped, not mangled');
  const small = createTail(100);
  small.push(Buffer.from('x'));
  t.equal(small.text(), 'x');
});

// A worker that rewrites what a tier runs can make it print without end: the log in the run
// store (inside the user's checkout) grew by hundreds of MB within seconds, up to the tier's
// time limit (30 minutes by default for tier2). A command's log keeps at most its cap, then
// says how much it left out and ends with the last of it.
t.test('a command that floods its output: the log keeps its cap, says what it left out, and ends with the last of it', async (t) => {
  const dir = workDir(t);
  const opts = base(dir);
  const r = await runVerification({ ...opts, tier: 'tier0', timeoutS: 30, capBytes: 1 << 20, commands: ['yes flood | head -c 20000000; echo THE-END'] });
  t.equal(r.pass, true);
  const log = readFileSync(opts.logPath, 'utf8');
  t.ok(log.length < 2 << 20, `the log is about the cap (${log.length} bytes)`);
  t.match(log, /# engine: \d+ bytes of output not kept/, 'it says so');
  t.match(log, /THE-END\n/, 'the last of the output is there');
  t.match(r.results[0]!.outputTail, /THE-END/, 'and in the tail for the repair prompt');
});

t.test('a directory the workspace lacks: the tier fails and the log says which, not the sandbox', async (t) => {
  // A new user's `verification.cwd: nope` failed as "spawn /usr/bin/bwrap ENOENT" (or "spawn sh
  // ENOENT" without the sandbox): the missing directory was never named.
  const dir = workDir(t);
  const opts = base(dir);
  const r = await runVerification({ ...opts, cwd: path.join(dir, 'nope'), tier: 'tier0', timeoutS: 30, commands: ['true'] });
  t.equal(r.pass, false);
  t.match(r.results[0], { exitCode: null, error: /the directory it is to run in, .*\/nope, does not exist in the workspace \(verification\.cwd\)/ });
  t.match(readFileSync(opts.logPath, 'utf8'), /engine: could not start: the directory it is to run in, .*nope, does not exist/);
  t.notMatch(readFileSync(opts.logPath, 'utf8'), /ENOENT/);
  const file = path.join(dir, 'a-file');
  writeFileSync(file, '');
  const r2 = await runVerification({ ...opts, cwd: file, tier: 'tier0', timeoutS: 30, commands: ['true'] });
  t.match(r2.results[0]!.error, /a-file, where it is to run, is not a directory/);
});
