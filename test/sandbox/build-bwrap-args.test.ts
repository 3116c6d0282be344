import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBwrapArgs, wrapInBwrap } from '../../engine/sandbox/build-bwrap-args.js';
import { takeWithheld, wrapCommand } from '../../engine/sandbox/wrap-command.js';
import { decideSandbox, describeSandbox, sandboxRecord } from '../../engine/sandbox/sandbox-status.js';
import { probeBwrap } from '../../engine/sandbox/probe-bwrap.js';

const bwrap = probeBwrap(process.env);
const skip = bwrap.ok ? false : `bubblewrap does not work here (${bwrap.error}): install it (apt-get install bubblewrap) to run the sandbox tests`;

t.test('the argv: read-only root, fresh /dev and /proc, private /tmp first, then readable, writable, workspace, home', async (t) => {
  const args = buildBwrapArgs({ workspace: '/tmp/x/ws/', readOnlyWorkspace: false, home: '/tmp/x/runs/r/homes/w', writable: ['/var/cache/a/b', '/var/cache'], readable: ['/tmp/x/runs/r', '/tmp/x', '/srv/pipelines'], runKeep: ['/run/systemd/resolve'], chdir: '/tmp/x/ws/sub' });
  t.same(args, [
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
    '--ro-bind', '/proc/sys', '/proc/sys',
    '--ro-bind-try', '/proc/sysrq-trigger', '/proc/sysrq-trigger',
    '--ro-bind-try', '/proc/irq', '/proc/irq',
    '--ro-bind-try', '/proc/bus', '/proc/bus',
    '--tmpfs', '/tmp',
    '--tmpfs', '/run',
    '--ro-bind-try', '/tmp/x', '/tmp/x',
    '--ro-bind-try', '/run/systemd/resolve', '/run/systemd/resolve',
    '--bind-try', '/var/cache', '/var/cache',
    '--bind-try', '/var/cache/a/b', '/var/cache/a/b',
    '--bind', '/tmp/x/ws', '/tmp/x/ws',
    '--bind', '/tmp/x/runs/r/homes/w', '/tmp/x/runs/r/homes/w',
    '--unshare-pid', '--die-with-parent', '--cap-drop', 'ALL',
    '--chdir', '/tmp/x/ws/sub',
  ]);
  t.notOk(args.includes('/srv/pipelines'), 'a readable path outside /tmp is visible through the read-only root already');
  t.notOk(args.includes('/tmp/x/runs/r'), 'and one inside another shown again, through that one');
  t.notOk(args.includes('--unshare-net'), 'the network is not restricted');
});

t.test('a read-only step: the workspace is bound read-only, after any writable path that holds it', async (t) => {
  const args = buildBwrapArgs({ workspace: '/work/ws', readOnlyWorkspace: true, home: null, writable: ['/work'] });
  const ws = args.indexOf('/work/ws');
  t.equal(args[ws - 1], '--ro-bind');
  t.ok(args.indexOf('--bind-try') < ws - 1, 'the writable parent comes first, so the workspace stays read-only');
  t.equal(args.at(-1), '/work/ws', 'chdir defaults to the workspace');
  t.notOk(args.includes('--bind') && args[args.indexOf('--bind') + 1] === '/work/ws');
});

t.test('wrapCommand: unchanged when the sandbox is not active, `bwrap … -- bin args` when it is', async (t) => {
  const cmd = { bin: 'sh', args: ['-c', 'true'], cwd: '/w', workspace: '/w', readOnly: false, home: null };
  t.same(wrapCommand(undefined, cmd), { bin: 'sh', args: ['-c', 'true'], writes: null });
  t.same(wrapCommand(decideSandbox({ mode: 'off', writable: [] }, null), cmd), { bin: 'sh', args: ['-c', 'true'], writes: null });
  const on = decideSandbox({ mode: 'auto', writable: ['/cache'] }, { ok: true, bin: '/usr/bin/bwrap' });
  const w = wrapCommand(on, { ...cmd, writable: ['/home/u/.codex'] });
  t.equal(w.bin, '/usr/bin/bwrap');
  t.same(w.args.slice(w.args.indexOf('--')), ['--', 'sh', '-c', 'true']);
  t.ok(w.args.includes('/cache') && w.args.includes('/home/u/.codex'));
  t.same(w.writes, ['/cache', '/home/u/.codex', '/w'], 'what its processes can write');
  t.same(wrapCommand(on, { ...cmd, readOnly: true, home: '/w.homes/r' }).writes, ['/cache', '/w.homes/r'], 'a read-only workspace is not among them');
  // A relative grant (CODEX_HOME=.codex) names a place by the engine's own folder, which the
  // worker's CLI (in its workspace) never means: the user's ~/.codex when the engine ran from home.
  const rel = wrapCommand(on, { ...cmd, writable: ['.codex', 'state/../x'] });
  t.same(rel.writes, ['/cache', '/w'], 'a relative path is granted nothing');
  t.notOk(rel.args.some((a) => a.endsWith('/.codex') || a.endsWith('/x')), 'nor bound');
});

t.test('decideSandbox: auto falls back with a warning, bwrap blocks, off is off', async (t) => {
  const missing = { ok: false as const, bin: null, error: 'bubblewrap (bwrap) is not on PATH' };
  const auto = decideSandbox({ mode: 'auto', writable: [] }, missing);
  t.match(auto, { active: false, blocked: false, warning: /no OS sandbox: bubblewrap \(bwrap\) is not on PATH/ });
  const strict = decideSandbox({ mode: 'bwrap', writable: [] }, missing);
  t.match(strict, { active: false, blocked: true, warning: /sandbox.mode is bwrap but bubblewrap \(bwrap\) is not on PATH/ });
  t.match(decideSandbox({ mode: 'off', writable: [] }, null), { active: false, blocked: false, warning: null });
  t.match(decideSandbox({ mode: 'bwrap', writable: ['/c'] }, { ok: true, bin: '/b' }), { active: true, bwrap: '/b', blocked: false, writable: ['/c'] });
  t.match(describeSandbox(sandboxRecord(decideSandbox({ mode: 'auto', writable: [] }, { ok: true, bin: '/b' }))), /network is not restricted/);
});

t.test('paths under /dev (a repo or engine home in /dev/shm) are hidden by the fresh /dev: readable ones are bound again', async (t) => {
  const args = buildBwrapArgs({ workspace: '/dev/shm/h/ws', readOnlyWorkspace: false, home: null, writable: [], readable: ['/dev/shm/repo', '/srv/p'] });
  const at = args.indexOf('/dev/shm/repo');
  t.same(args.slice(at - 1, at + 2), ['--ro-bind-try', '/dev/shm/repo', '/dev/shm/repo'], 'the repo under /dev/shm is bound read-only');
  t.ok(at > args.indexOf('--dev'), 'after --dev');
  t.notOk(args.includes('/srv/p'), 'a path the read-only root shows needs no bind');
});

// bubblewrap covers /proc/sys, /proc/sysrq-trigger, /proc/irq and /proc/bus read-only only
// when an access() check says it could write them, and that check fails for root without
// capabilities, who can still write every sysctl whose handler checks no capability: a
// worker run by root set the host's kernel.core_pattern to a script of its own, which the
// kernel then ran as root outside every namespace at the next crash. Rewriting a value with
// itself (the domain name) and asking the magic SysRq key for its help text change nothing.
t.test('under real bwrap: the kernel settings under /proc are read-only, also for root', { skip }, async (t) => {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'engine-bwrap-proc-'));
  const c = wrapInBwrap(bwrap.ok ? bwrap.bin : 'bwrap', { workspace: ws, readOnlyWorkspace: false, home: null, writable: [] }, 'sh', [
    '-c',
    'v=$(cat /proc/sys/kernel/domainname) && printf "%s\\n" "$v" > /proc/sys/kernel/domainname && echo WROTE-SYSCTL; printf h > /proc/sysrq-trigger && echo WROTE-SYSRQ; true',
  ]);
  const r = spawnSync(c.bin, c.args, { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stdout, /WROTE-SYSCTL/, 'a sysctl cannot be written');
  t.notMatch(r.stdout, /WROTE-SYSRQ/, 'nor the SysRq trigger');
});

/** Workspace, home and a readable path under `root` (a temp dir): what a sandboxed process can read and write there. */
function checkUnder(t: Test, root: string): void {
  const base = mkdtempSync(path.join(root, 'engine-bwrap-args-'));
  const ws = path.join(base, 'ws');
  const home = path.join(base, 'home');
  const outside = path.join(base, 'outside');
  for (const d of [ws, home, outside]) mkdirSync(d);
  writeFileSync(path.join(base, 'readable.txt'), 'seen\n');
  const hidden = mkdtempSync(path.join(os.tmpdir(), 'engine-bwrap-hidden-'));
  const run = (readOnly: boolean, script: string) => {
    const c = wrapInBwrap(bwrap.ok ? bwrap.bin : 'bwrap', { workspace: ws, readOnlyWorkspace: readOnly, home, writable: [], readable: [base] }, 'sh', ['-c', script]);
    return spawnSync(c.bin, c.args, { encoding: 'utf8' });
  };
  const w = run(false, `echo w > ws-file && echo h > ${home}/h && cat ${base}/readable.txt && echo t > /tmp/t && ls /tmp; echo o > ${outside}/o`);
  t.equal(readFileSync(path.join(ws, 'ws-file'), 'utf8'), 'w\n', 'the workspace (under /tmp) is writable');
  t.equal(readFileSync(path.join(home, 'h'), 'utf8'), 'h\n', 'the home (under /tmp) is writable');
  t.match(w.stdout, /^seen\n/, 'a readable path under /tmp is visible');
  t.notOk(existsSync('/tmp/t'), "the process's /tmp is private");
  t.notOk(existsSync(path.join(outside, 'o')));
  t.match(w.stderr, /Read-only file system/);
  t.notOk(w.stdout.includes(path.basename(hidden)), "the rest of the host's /tmp is hidden");

  const r = run(true, 'echo x > ro-file');
  t.not(r.status, 0);
  t.match(r.stderr, /Read-only file system/);
  t.notOk(existsSync(path.join(ws, 'ro-file')), 'a read-only workspace cannot be written');
}

t.test('under real bwrap: workspace and home under /tmp survive the private /tmp; writes elsewhere are refused', { skip }, async (t) => {
  checkUnder(t, os.tmpdir());
});

// /dev/shm is a tmpfs on most Linux systems: a checkout or ENGINE_HOME there was invisible
// inside the sandbox (its fresh /dev), and a worker's writes to the repo's path went to a
// throwaway tmpfs instead of being refused.
t.test('under real bwrap: the same under /dev/shm, which the fresh /dev hides', { skip: skip || (!existsSync('/dev/shm') && 'no /dev/shm here') }, async (t) => {
  checkUnder(t, '/dev/shm');
});

// sandbox.writable is checked against the places the sandbox keeps (the checkout, its git
// dirs, the run store) when the run starts, but bound as named at every spawn: an entry
// missing then, made a relative link into the checkout by a worker, was bound writable for
// every later step (the read-only reviewer then wrote README.md, .git/hooks and state.json),
// and a CLI's own state dir (CODEX_HOME inside the checkout) was never checked at all.
t.test('wrapCommand: a writable path that leads into a kept place when the command starts is not bound; the others are bound as they resolve', async (t) => {
  // Outside /tmp, where a link is bound where it leads (under the private /tmp, by its name).
  const base = mkdtempSync(path.join('/var/tmp', 'engine-wrap-kept-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const repo = path.join(base, 'repo');
  const cache = path.join(base, 'cache');
  mkdirSync(path.join(repo, '.git'), { recursive: true });
  mkdirSync(path.join(cache, 'real'), { recursive: true });
  symlinkSync('../repo', path.join(cache, 'pip'));
  symlinkSync('real', path.join(cache, 'npm'));
  const on = decideSandbox({ mode: 'auto', writable: [cache, path.join(cache, 'pip'), path.join(cache, 'npm')] }, { ok: true, bin: '/usr/bin/bwrap' }, [], [{ path: repo, what: 'the repository' }]);
  const w = wrapCommand(on, { bin: 'sh', args: [], cwd: '/w', workspace: '/w', readOnly: true, home: null, writable: [path.join(repo, '.codex')] });
  const bound = w.args.flatMap((a, i) => (a === '--bind-try' || a === '--bind' ? [w.args[i + 1]] : []));
  t.notOk(bound.some((p) => p!.startsWith(repo)), `nothing in the repository is bound writable (${bound.join(', ')})`);
  t.notOk(bound.includes(path.join(cache, 'pip')), 'nor the link that leads there');
  t.ok(bound.includes(path.join(cache, 'real')), 'a link elsewhere is bound where it leads');
  t.ok(bound.includes(cache), 'a plain directory as named');
  t.notOk(w.writes!.some((p) => p.startsWith(repo) || p === path.join(cache, 'pip')), 'and none of them is a grant');
  // Withheld without a word, the run said nothing of a worker turning a grant into a link into
  // the checkout: each is told once, for the step that ends to report (a warning).
  const told = takeWithheld(on);
  t.same(told.length, 2, 'two grants withheld are told');
  t.ok(told.some((m) => m.includes(`${path.join(cache, 'pip')} (it leads to ${repo}) is inside the repository ${repo}`)), `the link, and where it leads (${told.join('; ')})`);
  t.match(told.join('\n'), /\.codex is inside the repository/, 'the CLI\'s state dir');
  wrapCommand(on, { bin: 'sh', args: [], cwd: '/w', workspace: '/w', readOnly: true, home: null });
  t.same(takeWithheld(on), [], 'each once in a run');
});

// ENGINE_HOME (or a writable path) reached through an absolute link, as with
// ~/.local/state -> /data/state: bubblewrap could not make the bind's destination through the
// link in the new root, and every sandboxed step failed ("Can't mkdir parents") while the
// doctor said all was well.
/**
 * A wrapped command run as spawnGroup runs it: descriptor 3 for bubblewrap's report of its
 * init (--info-fd), descriptor 4 the seccomp program (--seccomp), read from a file in `dir`.
 */
function spawnWrapped(c: ReturnType<typeof wrapCommand>, dir: string) {
  const program = path.join(dir, 'seccomp.bpf');
  writeFileSync(program, c.inputFd?.bytes ?? Buffer.alloc(0));
  const fd = openSync(program, 'r');
  try {
    return spawnSync(c.bin, c.args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe', fd], timeout: 20_000 });
  } finally {
    closeSync(fd);
  }
}

t.test('under real bwrap: a workspace and home reached through an absolute link are bound where they lead', { skip }, async (t) => {
  const base = mkdtempSync(path.join('/var/tmp', 'engine-abs-link-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  mkdirSync(path.join(base, 'real', 'ws'), { recursive: true });
  mkdirSync(path.join(base, 'real', 'home'), { recursive: true });
  symlinkSync(path.join(base, 'real'), path.join(base, 'link'));
  const ws = path.join(base, 'link', 'ws');
  const home = path.join(base, 'link', 'home');
  const on = decideSandbox({ mode: 'bwrap', writable: [], allow_unix_sockets: true }, { ok: true, bin: bwrap.ok ? bwrap.bin : 'bwrap' });
  const c = wrapCommand(on, { bin: 'sh', args: ['-c', `echo w > f && echo h > ${home}/h && pwd`], cwd: ws, workspace: ws, readOnly: false, home });
  const r = spawnWrapped(c, base);
  t.equal(r.status, 0, String(r.stderr));
  t.equal(readFileSync(path.join(base, 'real', 'ws', 'f'), 'utf8'), 'w\n', 'the workspace is written');
  t.equal(readFileSync(path.join(base, 'real', 'home', 'h'), 'utf8'), 'h\n', 'the home too, by the name given');
});

// Under the private /tmp a link is hidden and the name becomes a directory of the tmpfs; but
// a link whose folder the sandbox shows again (the pipeline's folder, say, in /tmp) is there,
// and bubblewrap could not make the destination through it: every step failed.
t.test('under real bwrap: a workspace reached through an absolute link in a folder of /tmp the sandbox shows again', { skip }, async (t) => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'engine-tmp-link-'));
  mkdirSync(path.join(base, 'real', 'ws'), { recursive: true });
  symlinkSync(path.join(base, 'real'), path.join(base, 'link'));
  const ws = path.join(base, 'link', 'ws');
  const on = decideSandbox({ mode: 'bwrap', writable: [], allow_unix_sockets: true }, { ok: true, bin: bwrap.ok ? bwrap.bin : 'bwrap' }, [base]);
  const c = wrapCommand(on, { bin: 'sh', args: ['-c', `echo w > ${ws}/f`], cwd: ws, workspace: ws, readOnly: false, home: null });
  const r = spawnWrapped(c, base);
  t.equal(r.status, 0, String(r.stderr));
  t.equal(readFileSync(path.join(base, 'real', 'ws', 'f'), 'utf8'), 'w\n', 'the workspace is written, by the name given');
});
