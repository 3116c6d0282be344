import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// @ts-expect-error: a plain script, no declarations
import { isFork, parseTrace } from '../../bench/milestone.bench.mjs';

// The milestone bench counts, from one `strace -f` of a run, the git processes, the fsyncs and
// the processes the engine forked (node's spawn: each copies the engine and is torn down again
// by the child's exec). Threads are no forks, nor are the forks of the engine's children.

t.test('forks of the first process are counted, threads and the children\'s forks are not', async (t) => {
  const trace = [
    '100 execve("/usr/bin/node", ["node"], 0x1 /* 1 vars */) = 0',
    '100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 101',
    '100 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, exit_signal=0, stack=0x7f, stack_size=0x7ff} => {parent_tid=[102]}, 88) = 102',
    '100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD <unfinished ...>',
    '101 execve("/usr/bin/git", ["git"], 0x1 /* 1 vars */) = 0',
    '100 <... clone resumed>, child_tidptr=0x7f) = 103',
    '103 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 104',
    '100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = -1 EAGAIN (Resource temporarily unavailable)',
    '102 fsync(3) = 0',
    '',
  ].join('\n');
  const counted = parseTrace(trace);
  t.equal(counted.engine_forks, 2, 'two forks of the engine: one whole, one split by another process\'s line; the failed one and the child\'s are not');
  t.equal(counted.git_processes, 1);
  t.same(counted.fsyncs_by, { engine: 1 }, 'a thread\'s fsync is the engine\'s');
  t.notOk(isFork('<... clone resumed>, child_tidptr=0x7f) = 103'), 'the end of a split call is not counted again');
});

const hasStrace = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;

t.test('under strace: a node process that spawns two children and reads files on its threads forked twice', { skip: hasStrace ? false : 'strace is not installed (Debian package strace)' }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-trace-'));
  try {
    const out = path.join(dir, 'trace');
    const script = "const cp = require('child_process'); const fs = require('fs'); cp.spawnSync('/bin/true'); fs.readFile(__filename, () => cp.spawn('/bin/true').on('close', () => {}));";
    const file = path.join(dir, 'spawn.cjs');
    writeFileSync(file, script);
    const r = spawnSync('strace', ['-f', '-qq', '-e', 'signal=none', '-e', 'trace=execve,fsync,fdatasync,clone,clone3,fork,vfork', '-o', out, process.execPath, file], { encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    const counted = parseTrace(readFileSync(out, 'utf8'));
    t.equal(counted.engine_forks, 2, 'spawnSync and spawn: two forks; node\'s threads are none');
    t.same(counted.execs, { node: 1, true: 2 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
