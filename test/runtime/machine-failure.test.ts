import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engine, writePreludeRun } from '../helpers/run-fixture.js';
import { machineFailureOf } from '../../engine/util/machine-failure.js';
import { Collected } from '../../engine/proc/spawn-via-shell.js';
import { identityOf } from '../../engine/runtime/prepare-run.js';
import { reportMachineFailure } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';
import { mountSmall } from '../helpers/mount-small.js';

// A failure of the machine (a full disk, no process that can be started) is neither the
// engine's bug (exit 70) nor bad input (exit 2): it is said as what it is, exit 71, and a run it
// stopped resumes once the machine is mended (docs/errors.md, E_MACHINE).

const errno = (code: string, syscall: string, message = `${code}: ${syscall}`) => Object.assign(new Error(message), { code, syscall });

t.test('machineFailureOf: system codes, the words of git and the shell, a full file system the message names', async (t) => {
  t.equal(machineFailureOf(errno('ENOSPC', 'write')), 'no space left on the device');
  t.equal(machineFailureOf(errno('EMFILE', 'open')), 'the engine process has too many open files');
  t.equal(machineFailureOf(errno('EROFS', 'open')), 'a file system the engine writes is read-only');
  t.equal(machineFailureOf(Object.assign(new Error('git add failed'), { stderr: "fatal: Unable to create '/x/ws.git/index.lock': Read-only file system" })), 'a file system the engine writes is read-only');
  t.equal(machineFailureOf(errno('EAGAIN', 'spawn /usr/bin/git')), 'a process or thread could not be started (a resource is temporarily unavailable)');
  t.equal(machineFailureOf(errno('EAGAIN', 'read')), null, 'a FIFO a worker planted answers EAGAIN to a read: not the machine');
  t.equal(machineFailureOf(errno('ENOENT', 'open')), null);
  t.equal(machineFailureOf(new Error('git rev-parse HEAD failed: git could not be run: the shell it was given to ended (exit 2: sh: 1: Cannot fork)')), 'a process could not be started (the machine allows no more)');
  t.equal(machineFailureOf(Object.assign(new Error('git add failed'), { stderr: 'error: unable to write file: No space left on device' })), 'no space left on the device');
  // git's whole word on a full disk can be "couldn't write '<path>.lock'": the file system it names is asked.
  const there = mkdtempSync(path.join(os.tmpdir(), 'engine-machine-'));
  t.teardown(() => rmSync(there, { recursive: true, force: true }));
  const lock = `cannot update ref 'refs/heads/engine/x': couldn't write '${there}/repo/.git/refs/heads/engine/x.lock'`;
  const asked: string[] = [];
  const full = (dir: string) => (asked.push(dir), { bytes: 4096, files: 100 });
  t.equal(machineFailureOf(new Error(lock), full), `the file system of ${there} is full (4 KiB free)`);
  t.same(asked, [there], 'asked of the nearest directory that exists');
  t.equal(machineFailureOf(new Error(lock), () => ({ bytes: 10 * 2 ** 30, files: 100 })), null, 'room enough: not the machine');
  t.equal(machineFailureOf(new Error(lock), () => ({ bytes: 10 * 2 ** 30, files: 0 })), `the file system of ${there} has no free inodes`);
  t.equal(machineFailureOf(new TypeError("Cannot read properties of undefined (reading 'x')"), full), null, 'a bug stays a bug');
});

t.test("a dead shell's last words go with the error: what dash says when it cannot fork", async (t) => {
  const c = new Collected();
  c.push(Buffer.from('git: warning\n'));
  c.push(Buffer.from('sh: 1: Cannot fork\n\n'));
  t.equal(c.lastLine(200), 'sh: 1: Cannot fork');
  t.equal(new Collected().lastLine(200), '');
});

t.test('git failing to read the identity is not a malformed git.author: it is thrown, not refused as input', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-identity-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const policy = { git: { author: null } } as unknown as Parameters<typeof identityOf>[1];
  await t.rejects(identityOf({ gitDir: path.join(dir, 'no-such-git-dir'), root: dir } as never, policy), /git config/);
  t.same(await identityOf({ gitDir: path.join(dir, 'x'), root: dir } as never, { git: { author: 'A <a@b>' } } as never), { name: 'A', email: 'a@b' });
  t.match(await identityOf({ gitDir: path.join(dir, 'x'), root: dir } as never, { git: { author: 'nobody' } } as never), { error: /git.author must look like/ });
});

t.test('the message: the failure, the words of the machine, no bug report, the resume', async (t) => {
  const io = memoryIo({ cwd: '/' });
  t.equal(reportMachineFailure(errno('ENOSPC', 'write', 'ENOSPC: no space left on device, write'), 'no space left on the device', 'run', { runId: 'r-1', runDir: '/r/.engine/runs/r-1', began: true }, io, {}), 71);
  const err = io.err.join('');
  t.match(err, /^engine run: error E_MACHINE no space left on the device: ENOSPC: no space left on device, write\n\(a failure of the machine, not of the engine or its input: mend it first\)\nthe run is left as a crash leaves it, continue it with: engine resume r-1 --store \/r\/\.engine\/runs\n$/);
  t.notMatch(err, /internal error|please report/);
});

const small = mountSmall('3m');
t.test('a worker fills the disk: the run ends E_MACHINE (exit 71), and resumes to completion once there is room', { skip: 'skip' in small ? small.skip : false }, async (t) => {
  if ('skip' in small) return;
  const dir = small.dir;
  t.teardown(() => {
    spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  const repo = path.join(dir, 'repo');
  mkdirSync(repo);
  const git = (...args: string[]) => spawnSync('git', args, { cwd: repo, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'initial');
  // Outside the tmpfs: the worker and its script. The worker writes 3 MB into its workspace
  // (a read-only step's dd fails quietly), then answers as the scripted agent does.
  const side = mkdtempSync(path.join(os.tmpdir(), 'engine-full-disk-side-'));
  t.teardown(() => rmSync(side, { recursive: true, force: true }));
  const { pipelineFile, policyFile } = writePreludeRun(side, 'dd if=/dev/zero of=fill bs=64k count=48 2>/dev/null');
  const env = { ENGINE_HOME: path.join(dir, 'home') };

  const r = engine(['run', pipelineFile, '--repo', repo, '--goal', 'g', '--policy', policyFile, '--run-id', 'full', '--no-progress'], { cwd: side, env });
  t.equal(r.code, 71, r.stderr);
  t.match(r.stderr, /engine run: error E_MACHINE (no space left on the device|the file system of .* is full)/);
  t.notMatch(r.stderr, /internal error|please report/);
  const state = JSON.parse(readFileSync(path.join(repo, '.engine', 'runs', 'full', 'state.json'), 'utf8'));
  t.equal(state.status, 'running', 'the run is left as a crash leaves it: resumable');

  t.equal(spawnSync('mount', ['-o', 'remount,size=20m', dir]).status, 0, 'the machine mended: room for the run');
  const resumed = engine(['resume', 'full', '--repo', repo, '--no-progress'], { cwd: side, env });
  t.equal(resumed.code, 0, resumed.stderr);
  t.equal(JSON.parse(readFileSync(path.join(repo, '.engine', 'runs', 'full', 'state.json'), 'utf8')).status, 'completed');
});
