import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBwrapArgs } from '../../engine/sandbox/build-bwrap-args.js';
import { probeBwrap } from '../../engine/sandbox/probe-bwrap.js';
import { sandboxFilter } from '../../engine/sandbox/seccomp-filter.js';
import { engine, makeFixture, readJsonl } from '../helpers/run-fixture.js';

// The read-only view of the filesystem shows the sockets of the user's services wherever they
// are (an ssh ControlMaster in ~/.ssh, gpg-agent, a Docker or LXD socket); only /run and /tmp
// are hidden, and a read-only mount does not stop a connect(). A hostile worker reached such a
// service and had it run a command outside the sandbox. So no sandboxed process may make a Unix
// domain socket (seccomp), unless the policy says `sandbox.allow_unix_sockets: true`.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const agent = path.join(root, 'test', 'fixtures', 'workers', 'scripted-agent.cjs');
const bwrap = probeBwrap(process.env);
const skip = bwrap.ok ? false : `no working bubblewrap here: ${bwrap.error}`;

t.test('the seccomp program: made for this machine, read by bubblewrap, socket(AF_UNIX) refused and nothing else', { skip }, async (t) => {
  const program = sandboxFilter(process.arch, { unixSockets: false });
  t.ok(program && program.length % 8 === 0, 'whole instructions');
  t.equal(sandboxFilter('mips', { unixSockets: false }), null, 'no program for a machine it does not know');
  t.match(buildBwrapArgs({ workspace: '/w', readOnlyWorkspace: false, home: null, writable: [], seccompFd: 4 }).join(' '), / --seccomp 4( |$)/);
  // A file descriptor with the program: written to a temp file, opened for bubblewrap.
  const file = path.join(makeFixture().dir, 'filter.bpf');
  writeFileSync(file, program!);
  const probe = (code: string) => {
    const r = spawnSync('/bin/sh', ['-c', `exec "$0" --ro-bind / / --dev /dev --proc /proc --seccomp 9 -- "$1" -e "$2" 9<"$3"`, bwrap.bin!, process.execPath, code, file], { encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`.trim();
  };
  t.match(probe("require('net').connect('/nowhere').on('error', (e) => console.log(e.code))"), /^EPERM$/, 'a Unix socket cannot be made');
  t.match(probe("const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log('tcp ok'); s.close(); })"), /tcp ok/, 'the network is not restricted');
  t.match(probe("console.log(require('child_process').execFileSync('/bin/echo', ['child ok']).toString().trim())"), /child ok/, "a process's own pipes to its children (socketpair) still work");
});

// A hostile probe read a secret the user kept in the kernel keyring and added a key that
// outlived the run: bubblewrap's namespaces share the user's and session keyrings with the
// host. The keyring calls fail always, Unix sockets allowed or not. perl makes the raw calls.
const KEY_CALLS: Record<string, { addKey: number; keyctl: number }> = { x64: { addKey: 248, keyctl: 250 }, arm64: { addKey: 217, keyctl: 219 } };
const perl = spawnSync('perl', ['-e', '1']).status === 0;

t.test('the seccomp program refuses the kernel keyrings, with Unix sockets allowed or not; without it the same calls reach them', { skip: skip || (!KEY_CALLS[process.arch] && `no keyring call numbers for ${process.arch}`) || (!perl && 'no perl') }, async (t) => {
  const { addKey, keyctl } = KEY_CALLS[process.arch]!;
  // keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING); add_key("user", …, KEY_SPEC_SESSION_KEYRING), then unlink it (KEYCTL_UNLINK) when it was made.
  const script = `my ($t, $d, $p) = ("user", "engine-sandbox-test-$$", "planted"); my $id = syscall(${keyctl}, 0, -4, 0); print "keyctl ", ($id < 0 ? $! + 0 : "ok"), "\n"; my $k = syscall(${addKey}, $t, $d, $p, 7, -3); print "add_key ", ($k < 0 ? $! + 0 : "ok"), "\n"; syscall(${keyctl}, 9, $k, -3) if $k >= 0;`;
  const dir = makeFixture().dir;
  const run = (program: Buffer | null) => {
    const file = path.join(dir, `filter-${Math.random()}.bpf`);
    if (program) writeFileSync(file, program);
    const seccomp = program ? '--seccomp 9' : '';
    const r = spawnSync('/bin/sh', ['-c', `exec "$0" --ro-bind / / --dev /dev --proc /proc --unshare-pid ${seccomp} -- perl -e "$1" 9<"$2"`, bwrap.bin!, script, program ? file : '/dev/null'], { encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`.trim();
  };
  const EPERM = 1;
  for (const unixSockets of [false, true]) {
    t.equal(run(sandboxFilter(process.arch, { unixSockets })), `keyctl ${EPERM}\nadd_key ${EPERM}`, `no keyring call gets through (allow_unix_sockets: ${unixSockets})`);
  }
  t.equal(run(null), 'keyctl ok\nadd_key ok', 'without the program bubblewrap leaves the keyrings reachable (the test can see a call get through)');
});

/**
 * A Unix socket server outside the workspace that "runs" what it is sent: the lines go to `log`.
 * A process of its own: the engine runs under spawnSync, which holds this process's loop.
 */
async function startService(dir: string): Promise<{ sock: string; log: string; close: () => void }> {
  const sock = path.join(dir, 'S.agent');
  const log = path.join(dir, 'service.log');
  writeFileSync(log, '');
  const code = `const fs = require('fs'); require('net').createServer((c) => c.on('data', (d) => { fs.appendFileSync(${JSON.stringify(log)}, 'ran: ' + d + '\\n'); c.end('ok\\n'); })).listen(${JSON.stringify(sock)}, () => console.log('listening'))`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (c) => reject(new Error(`the service ended (${c})`)));
  });
  return { sock, log, close: () => void child.kill('SIGKILL') };
}

/** A fixture whose implementer first tries the service (its result goes to its stdout), then answers as the scripted agent. */
function socketFixture(sock: string, policy: Record<string, unknown> = {}) {
  const f = makeFixture({ policy });
  const wrapper = path.join(f.dir, 'try-socket.sh');
  const tryIt = "const c = require('net').connect(process.env.SOCK); c.on('connect', () => c.write('id')); c.on('data', (d) => { console.log('service said ' + d); c.end(); }); c.on('error', (e) => console.log('socket error ' + e.code))";
  writeFileSync(wrapper, `#!/bin/sh\n"$NODE" -e "$TRY" </dev/null\nexec "$NODE" "$AGENT"\n`, { mode: 0o755 });
  const pipeline = readFileSync(f.pipelineFile, 'utf8');
  const worker = { use: 'command', bin: wrapper, env: { AGENT_SCRIPT: f.scriptFile, SOCK: sock, NODE: process.execPath, AGENT: agent, TRY: tryIt }, idle_timeout_s: 20, timeout_s: 60 };
  const spec = JSON.stringify(worker);
  writeFileSync(f.pipelineFile, pipeline.replace(/^workers:[\s\S]*?(?=^\w)/m, `workers:\n  planner: ${spec}\n  implementer: ${spec}\n  reviewer: ${spec}\n`));
  return f;
}

const stdoutOf = (repo: string, id: string, step: string) => {
  const events = readJsonl(path.join(repo, '.engine', 'runs', id, 'timeline.jsonl'));
  const call = events.find((e) => e.type === 'worker.started' && e.step === step).call;
  return readFileSync(path.join(repo, '.engine', 'runs', id, call, 'stdout.log'), 'utf8');
};

t.test("a worker cannot reach the user's service through its socket; with allow_unix_sockets it can (the test sees it)", { skip }, async (t) => {
  const blocked = makeFixture();
  const service = await startService(blocked.dir);
  t.teardown(service.close);
  // The socket lies beside the pipeline, a folder every sandboxed process reads.
  const f = socketFixture(service.sock);
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 's1', '--no-progress'], { cwd: f.dir });
  t.equal(r.code, 0, r.stderr);
  t.match(stdoutOf(f.repo, 's1', 'implement'), /socket error EPERM/);
  t.equal(readFileSync(service.log, 'utf8'), '', 'the service ran nothing');
  t.match(readFileSync(path.join(f.repo, '.engine', 'runs', 's1', 'summary.md'), 'utf8'), /no Unix domain socket can be made/);

  const open = socketFixture(service.sock, { sandbox: { allow_unix_sockets: true } });
  const o = engine(['run', open.pipelineFile, '--repo', open.repo, '--goal', 'g', '--policy', open.policyFile, '--run-id', 's2', '--no-progress'], { cwd: open.dir });
  t.equal(o.code, 0, o.stderr);
  t.match(stdoutOf(open.repo, 's2', 'implement'), /service said ok/);
  t.match(readFileSync(service.log, 'utf8'), /ran: id/, 'allowed, the same worker reaches it: the block above is the seccomp program, not the test');
  t.match(readFileSync(path.join(open.repo, '.engine', 'runs', 's2', 'summary.md'), 'utf8'), /Unix domain sockets allowed \(sandbox\.allow_unix_sockets\)/);
});
