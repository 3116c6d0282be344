import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeFixture, engine, readJsonl } from '../helpers/run-fixture.js';
import { probeBwrap } from '../../engine/sandbox/probe-bwrap.js';
import { packageRoot } from '../../engine/paths.js';

// A hostile command worker under `sandbox.mode: bwrap`, through a real `engine run`: every
// write outside its workspace, its home, its private /tmp and sandbox.writable is refused, its
// review step cannot write the workspace, and the sleeper it leaves behind dies with it.
const bwrap = probeBwrap(process.env);
const skip = bwrap.ok ? false : `bubblewrap does not work here (${bwrap.error}): install it (apt-get install bubblewrap) to run the sandbox tests`;
const hostile = path.join(packageRoot, 'test', 'fixtures', 'workers', 'sandbox-hostile.sh');
const scripted = { plan: [{ id: 'm1', goal: 'write a', files_expected: ['src/a.txt'] }], implement: { '1': { 'src/a.txt': 'alpha\n' } } };

/** Pids whose command line carries `token` (the sleeper's mark). Linux /proc. */
function processesWith(token: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(token)) found.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return found;
}

function hostileRun(t: Test, mode: 'bwrap' | 'off', safe: boolean) {
  const token = `hostile${process.pid}x${Math.random().toString(36).slice(2, 10)}`;
  const id = `sbx-${mode}`;
  let f!: ReturnType<typeof makeFixture>;
  const outside = () => path.join(f.dir, 'outside');
  const shared = () => path.join(f.dir, 'shared');
  f = makeFixture({
    script: scripted,
    policy: {
      sandbox: { mode, writable: [path.join(os.tmpdir(), 'placeholder')] },
      verification: { tiers: { tier0: { commands: [`echo verify > ${'$'}HOSTILE_OUTSIDE/verify-pwn || echo verify-refused`, 'test -f README.md'] }, tier2: { commands: ['test -f src/a.txt'] } } },
    },
    pipeline: (p) => {
      const env = { HOSTILE_TOKEN: token, ...(safe ? { HOSTILE_SAFE: '1' } : {}) };
      // The worker gets only an allow-listed environment: the attack's targets are passed on by name.
      const env_pass = ['HOSTILE_*'];
      p.workers.implementer = { use: 'command', bin: 'sh', args: [hostile], env, env_pass, idle_timeout_s: 20, timeout_s: 60 };
      p.workers.reviewer = { use: 'command', bin: 'sh', args: [hostile], env, env_pass, idle_timeout_s: 20, timeout_s: 60 };
      // A command step between verify and what followed it: tries to write outside, leaves a sleeper.
      const verify = p.steps.find((s: { id: string }) => s.id === 'verify');
      const next = verify.on.pass;
      verify.on.pass = 'hostile_cmd';
      const cmd = `(echo cmd > "$HOSTILE_OUTSIDE/cmd-pwn") 2>/dev/null || echo cmd-refused; setsid sh -c 'sleep 1; echo late > "$HOSTILE_OUTSIDE/cmd-late"; : cmd-${token}' </dev/null >/dev/null 2>&1 &`;
      p.steps.push({ id: 'hostile_cmd', type: 'command', run: cmd, on: { pass: next, fail: next } });
    },
  });
  mkdirSync(outside());
  mkdirSync(shared());
  const home = path.join(f.dir, 'home');
  mkdirSync(home);
  // The policy file is written by makeFixture; sandbox.writable must name the shared dir.
  const sets = ['--set', `sandbox.writable=["${shared()}"]`];
  const env = { HOME: home, HOSTILE_REPO: f.repo, HOSTILE_STORE: path.join(f.repo, '.engine', 'runs', id), HOSTILE_ENGINE: packageRoot, HOSTILE_OUTSIDE: outside(), HOSTILE_SHARED: shared() };
  const before = { readme: readFileSync(path.join(f.repo, 'README.md'), 'utf8'), config: readFileSync(path.join(f.repo, '.git', 'config'), 'utf8') };
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, ...sets, '--run-id', id, '--no-progress'], { cwd: f.dir, env });
  const runDir = path.join(f.repo, '.engine', 'runs', id);
  const wt = path.join(f.repo, '.engine', 'worktrees', id);
  const stderrOf = (step: string) => {
    const call = readdirSync(path.join(runDir, 'calls')).find((c) => c.includes(`-${step}-`));
    return call ? readFileSync(path.join(runDir, 'calls', call, 'stderr.log'), 'utf8') : '';
  };
  t.teardown(() => {
    rmSync(path.join(packageRoot, 'templates', `pwn-${token}.txt`), { force: true });
    rmSync(path.join('/tmp', `pwn-${token}`), { force: true });
  });
  return { f, r, token, runDir, wt, home, outside: outside(), shared: shared(), before, stderrOf, events: readJsonl(path.join(runDir, 'timeline.jsonl')) };
}

t.test('sandbox.mode bwrap: a hostile worker writes only its workspace, its home, /tmp (private) and sandbox.writable', { skip }, async (t) => {
  const h = hostileRun(t, 'bwrap', false);
  t.equal(h.r.code, 0, h.r.stderr + h.r.stdout);
  const implement = h.stderrOf('implement');
  for (const label of ['user-repo', 'user-git-config', 'run-store', 'engine-install', 'home', 'outside']) {
    t.match(implement, new RegExp(`attempt ${label}: refused`), `${label}: the write is refused`);
  }
  t.match(implement, /attempt shared: WROTE/, 'sandbox.writable is writable');
  t.match(implement, /attempt tmp: WROTE/, '/tmp is writable (a private tmpfs)');

  t.equal(readFileSync(path.join(h.f.repo, 'README.md'), 'utf8'), h.before.readme, "the user's repo is untouched");
  t.equal(readFileSync(path.join(h.f.repo, '.git', 'config'), 'utf8'), h.before.config, "the user's git config is untouched");
  t.notOk(readFileSync(path.join(h.runDir, 'timeline.jsonl'), 'utf8').includes(h.token), 'the run store is untouched');
  t.notOk(existsSync(path.join(packageRoot, 'templates', `pwn-${h.token}.txt`)), "the engine's install is untouched");
  t.notOk(existsSync(path.join(h.home, `pwn-${h.token}`)), '$HOME is untouched');
  t.notOk(existsSync(path.join(h.outside, 'pwn')), 'a dir outside everything is untouched');
  t.notOk(existsSync(path.join('/tmp', `pwn-${h.token}`)), "the real /tmp is untouched (the worker's /tmp was private)");
  t.equal(readFileSync(path.join(h.shared, 'allowed'), 'utf8'), `pwned by ${h.token}\n`);

  // Verification commands run in the sandbox too.
  t.notOk(existsSync(path.join(h.outside, 'verify-pwn')), 'a verification command cannot write outside the workspace');
  const verifyLog = readdirSync(path.join(h.runDir, 'verify')).map((n) => readFileSync(path.join(h.runDir, 'verify', n), 'utf8')).join('\n');
  t.match(verifyLog, /Read-only file system/);
  t.match(verifyLog, /verify-refused/);

  // The read-only review step could not write the workspace.
  t.match(h.stderrOf('review'), /attempt workspace-in-review: refused/);
  t.notOk(existsSync(path.join(h.wt, 'review-pwn.txt')));

  // The sleeper died with the worker's sandbox: no process carries its mark, and nothing it would write appears.
  t.same(processesWith(h.token), [], 'no process the worker left behind is alive');
  await sleep(2500);
  t.notOk(existsSync(path.join(h.wt, 'late.txt')), 'the sleeper never wrote the workspace');
  t.notOk(existsSync(path.join(h.shared, 'late')), 'the sleeper never wrote sandbox.writable');
  t.notOk(existsSync(path.join(h.outside, 'late')));

  // A command step: the same confinement, and its sleeper dies too.
  t.ok(h.events.some((e) => e.type === 'command.finished' && e.step === 'hostile_cmd'), 'the command step ran');
  t.notOk(existsSync(path.join(h.outside, 'cmd-pwn')), 'a command step cannot write outside the workspace');
  t.notOk(existsSync(path.join(h.outside, 'cmd-late')), "the command step's sleeper never wrote");

  const started = h.events.find((e) => e.type === 'run.started');
  t.same(started.sandbox, { mode: 'bwrap', active: true, tool: bwrap.ok ? bwrap.bin : null, writable: [h.shared], unix_sockets: false, warning: null });
  t.same(JSON.parse(readFileSync(path.join(h.runDir, 'env.json'), 'utf8')).sandbox, started.sandbox);
  t.match(readFileSync(path.join(h.runDir, 'summary.md'), 'utf8'), /- sandbox: bubblewrap .*the network is not restricted/);
  t.equal(readJsonl(path.join(h.runDir, 'timeline.jsonl')).at(-1).type, 'run.finished');
});

t.test('control, sandbox.mode off: the same sleeper outlives the worker and writes (what the sandbox prevents)', { skip }, async (t) => {
  const h = hostileRun(t, 'off', true);
  t.match(h.stderrOf('implement'), /attempt outside: WROTE/, 'without the sandbox the write outside lands');
  t.ok(existsSync(path.join(h.outside, 'pwn')));
  // Without the sandbox the setsid sleeper escaped the worker's process group.
  let waited = 0;
  while (!existsSync(path.join(h.outside, 'late')) && waited < 10_000) {
    await sleep(100);
    waited += 100;
  }
  t.ok(existsSync(path.join(h.outside, 'late')), 'the sleeper wrote after the worker had exited');
  const started = h.events.find((e) => e.type === 'run.started');
  t.same(started.sandbox, { mode: 'off', active: false, tool: null, writable: [h.shared], unix_sockets: false, warning: null });
});
