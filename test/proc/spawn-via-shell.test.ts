import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Collected, currentShellPid, describeStartError, hereDocumentText, renderSetup, renderShellCommand, runCaptured, shellStats } from '../../engine/proc/spawn-via-shell.js';
import { shellQuote } from '../../engine/util/shell-quote.js';

const env = (): Record<string, string> => Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
const printf = '/usr/bin/printf';

// Words a shell would read as something else, were they not quoted: every one must reach the
// program as written.
const HOSTILE = ["it's", '"double"', '$(touch /tmp/pwned)', '`id`', 'a; exit 0', 'x\ny', '*', '~', '$HOME', '\\', "'", "''", ' ', '', 'a\tb', '-n', '--', '#c', '&', '|', '>out', 'é ü', '\u0001\u007f'];

t.test('every argument reaches the program exactly, none is read by the shell', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-shell-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const before = shellStats.commands;
  const r = await runCaptured(printf, ['%s\\0', ...HOSTILE], dir, env());
  t.equal(r.exitCode, 0);
  t.equal(r.startError, null);
  t.same(r.stdout.toString('utf8').split('\0').slice(0, -1), HOSTILE);
  t.equal(shellStats.commands, before + 1, 'it went through the shell');
  t.equal(spawnSync('ls', ['-A', dir], { encoding: 'utf8' }).stdout, '', 'no redirection or command ran');
});

t.test('the working directory and the environment are exactly the ones asked for', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "engine shell 'q' $x-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const e = env();
  e.ENGINE_TEST_ADDED = "v'1\n$(id)";
  const removed = Object.keys(e).find((k) => k === 'PATH')!;
  const r1 = await runCaptured('/bin/pwd', [], dir, e);
  t.equal(r1.stdout.toString().trim(), dir);
  const r2 = await runCaptured('/usr/bin/env', ['-0'], dir, e);
  const seen = Object.fromEntries(r2.stdout.toString('utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  t.equal(seen.ENGINE_TEST_ADDED, e.ENGINE_TEST_ADDED);
  const without = env();
  delete without[removed];
  const r3 = await runCaptured('/usr/bin/env', ['-0'], dir, without);
  const keys = r3.stdout.toString('utf8').split('\0').filter(Boolean).map((kv) => kv.slice(0, kv.indexOf('=')));
  t.notOk(keys.includes(removed), 'a variable left out is not there');
  t.notOk(keys.includes('ENGINE_TEST_ADDED'), 'nor one an earlier command had');
});

t.test('an unset value is no variable; each command gets exactly its own environment', async (t) => {
  const names = (r: { stdout: Buffer }) => r.stdout.toString('utf8').split('\0').filter(Boolean).map((kv) => kv.slice(0, kv.indexOf('=')));
  const given: NodeJS.ProcessEnv = { ...env(), ENGINE_TEST_UNSET: undefined };
  const viaShell = await runCaptured('/usr/bin/env', ['-0'], '/', given);
  t.notOk(names(viaShell).includes('ENGINE_TEST_UNSET'));
  const direct = await runCaptured('/usr/bin/env', ['-0'], '/', given, 'stdin text');
  t.notOk(names(direct).includes('ENGINE_TEST_UNSET'), "as node's spawn does");
  given.ENGINE_TEST_LATER = 'x';
  const later = await runCaptured('/usr/bin/env', ['-0'], '/', { ...env(), ENGINE_TEST_LATER: 'x' });
  t.ok(names(later).includes('ENGINE_TEST_LATER'));
  const without = await runCaptured('/usr/bin/env', ['-0'], '/', env());
  t.notOk(names(without).includes('ENGINE_TEST_LATER'));
  t.same(renderSetup('/', { A: '1', B: undefined }, { A: '1', B: undefined, C: undefined }), ["cd -- '/' || exit 126"], 'unset on both sides: nothing to unset or export');
  t.same(renderSetup('/', { A: undefined }, { A: '1' }), ["cd -- '/' || exit 126", 'unset A']);
});

t.test('output that imitates an end line is output; binary and large output arrive whole', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-shell-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fake = '\nengine-end-00000000000000000000000000000000 1 0\n';
  const big = Buffer.alloc(5 * 1024 * 1024 + 7);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 256;
  writeFileSync(path.join(dir, 'big'), big);
  writeFileSync(path.join(dir, 'fake'), fake);
  const [a, b, c] = await Promise.all([
    runCaptured('/bin/cat', ['fake'], dir, env()),
    runCaptured('/bin/cat', ['big'], dir, env()),
    runCaptured('/bin/sh', ['-c', 'cat fake >&2; printf x'], dir, env()),
  ]);
  t.equal(a.stdout.toString(), fake);
  t.ok(b.stdout.equals(big), 'five megabytes of every byte value, exactly');
  t.equal(c.stdout.toString(), 'x');
  t.equal(c.stderr.toString(), fake);
});

t.test('stdin is empty: a program that reads it never sees the commands meant for the shell', async (t) => {
  const r = await Promise.all([runCaptured('/bin/cat', [], '/', env()), runCaptured('/bin/echo', ['after'], '/', env())]);
  t.equal(r[0].stdout.length, 0);
  t.equal(r[0].exitCode, 0);
  t.equal(r[1].stdout.toString(), 'after\n');
});

t.test('exit codes, signals, a missing program, a missing directory', async (t) => {
  const e = env();
  t.equal((await runCaptured('/bin/sh', ['-c', 'exit 3'], '/', e)).exitCode, 3);
  const killed = await runCaptured('/bin/sh', ['-c', 'kill -TERM $$'], '/', e);
  t.equal(killed.exitCode, null);
  t.equal(killed.signal, 'SIGTERM');
  const missing = await runCaptured('engine-no-such-program', ['x'], '/', e);
  t.equal(missing.exitCode, null);
  t.match(describeStartError('engine-no-such-program', missing), /^engine-no-such-program could not be run: /);
  t.match(missing.startError, /not found|No such file/, 'the reason alone, for a caller that words its own message');
  t.notMatch(missing.startError, /could not be run/);
  const nodir = await runCaptured('/bin/true', [], '/engine-no-such-dir', e);
  t.not(nodir.exitCode, 0);
  t.match(nodir.stderr.toString(), /engine-no-such-dir/);
  t.equal((await runCaptured('/bin/echo', ['still here'], '/', e)).stdout.toString(), 'still here\n', 'the shell goes on');
});

t.test('stdin lines go through the shell as a here-document, every byte as given, nothing read by the shell', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-shell-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // Each hostile word as a line, and lines a here-document could end at or expand were its end word not quoted and unknown.
  const lines = [...HOSTILE.filter((w) => !w.includes('\n')), 'EOF', "'EOF'", 'engine-end-', ')', '); touch pwned', '\\', 'line \\', '$(touch pwned)', '`touch pwned`', '\ttabbed', '\r'];
  const input = `${lines.join('\n')}\n`;
  const before = shellStats.commands;
  const r = await runCaptured('/bin/cat', [], dir, env(), input);
  t.equal(r.exitCode, 0);
  t.equal(r.stdout.toString('utf8'), input, 'the program read exactly the input');
  t.equal(shellStats.commands, before + 1, 'it went through the shell');
  const bytes = await runCaptured('/bin/cat', [], dir, env(), Buffer.from('é ü\nsha\n'));
  t.same(bytes.stdout, Buffer.from('é ü\nsha\n'), 'UTF-8 bytes as given');
  t.equal(shellStats.commands, before + 2);
  t.equal(spawnSync('ls', ['-A', dir], { encoding: 'utf8' }).stdout, '', 'no redirection or command ran');
  const next = await runCaptured('/bin/cat', [], '/', env());
  t.equal(next.stdout.length, 0, 'the command after it reads no stdin');
});

t.test('stdin the shell cannot give exactly, and a NUL byte, go to node spawn with the same result', async (t) => {
  const before = shellStats.commands;
  const r = await runCaptured('/bin/cat', [], '/', env(), 'typed');
  t.equal(r.stdout.toString(), 'typed', 'no newline at its end');
  const nul = await runCaptured('/bin/cat', [], '/', env(), 'a\0b\n');
  t.equal(nul.stdout.toString(), 'a\0b\n', 'a NUL byte');
  const binary = Buffer.from([0xff, 0xfe, 0x0a]);
  t.same((await runCaptured('/bin/cat', [], '/', env(), binary)).stdout, binary, 'bytes that are no UTF-8');
  const large = `${'x'.repeat(300 * 1024)}\n`;
  t.equal((await runCaptured('/bin/cat', [], '/', env(), large)).stdout.length, large.length, 'past the here-document bound');
  await t.rejects(runCaptured('/bin/echo', ['a\0b'], '/', env()), /null bytes/);
  t.equal(shellStats.commands, before, 'none went through the shell');
  t.equal(hereDocumentText('a\nb\n'), 'a\nb\n');
  t.equal(hereDocumentText('a\nb'), null);
});

t.test('a shell that dies fails the command it was running; those behind it run on a new shell', async (t) => {
  const first = await runCaptured('/bin/true', [], '/', env());
  t.equal(first.exitCode, 0);
  const pid = currentShellPid();
  t.ok(pid);
  const shells = shellStats.shells;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-shell-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const slow = runCaptured('/bin/sleep', ['5'], '/', env());
  // The first shell is busy: a second one takes this.
  const beside = runCaptured('/bin/sleep', ['1'], '/', env());
  // Both busy: queued behind the first sleep, never begun when its shell dies, so run once, on another shell.
  const behind = runCaptured('/bin/sh', ['-c', 'echo x >> count; cat count'], dir, env());
  setTimeout(() => process.kill(pid!, 'SIGKILL'), 100);
  const r = await slow;
  t.equal(r.exitCode, null);
  t.match(r.startError, /^the shell it was given to ended \(SIGKILL\)/);
  const b = await behind;
  t.equal(b.exitCode, 0);
  t.equal(b.stdout.toString(), 'x\n', 'the command behind ran exactly once');
  t.equal((await beside).exitCode, 0, 'the other shell went on');
  const after = await runCaptured('/bin/echo', ['ok'], '/', env());
  t.equal(after.stdout.toString(), 'ok\n');
  t.ok(shellStats.shells > shells, 'a new shell took over');
  t.not(currentShellPid(), pid);
});

t.test('a time limit ends a command that hangs, and only that command', async (t) => {
  const started = Date.now();
  const hung = runCaptured('/bin/sleep', ['3'], '/', env(), '', { timeoutMs: 300 });
  const next = runCaptured('/bin/echo', ['next'], '/', env(), '', { timeoutMs: 300 });
  const r = await hung;
  t.equal(r.exitCode, null);
  t.equal(describeStartError('/bin/sleep', r), '/bin/sleep could not be run: it did not finish within 300 ms');
  t.equal(r.startError, 'it did not finish within 300 ms');
  t.ok(Date.now() - started < 10_000);
  const n = await next;
  t.equal(n.stdout.toString(), 'next\n', 'the limit of the next one runs from its own start');
  const direct = await runCaptured('/bin/sleep', ['30'], '/', env(), 'stdin text', { timeoutMs: 300 });
  t.equal(direct.signal, 'SIGKILL', "node's spawn has the same limit");
});

t.test('an idle shell does not keep the process alive', async (t) => {
  const url = new URL('../../engine/proc/spawn-via-shell.ts', import.meta.url).href;
  const script = `import { runCaptured } from ${JSON.stringify(url)};
const r = await runCaptured('/bin/echo', ['done'], '/', process.env);
process.stdout.write(r.stdout);`;
  const child = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20000 });
  t.equal(child.stdout, 'done\n');
  t.equal(child.status, 0, 'exited by itself, not by the timeout');
});

t.test('shellQuote and renderShellCommand (pure)', async (t) => {
  t.equal(shellQuote("a'b"), `'a'\\''b'`);
  const line = renderShellCommand('M', 7, 'git', ['x y'], '/w', { A: '1', B: 'new' }, { A: '1', C: 'gone', B: 'old' });
  t.equal(line, `(cd -- '/w' || exit 126; unset C; export B='new'; exec 'git' 'x y' </dev/null); s=$?; printf '\\n%s %s %s\\n' 'M' 7 "$s"; printf '\\n%s %s\\n' 'M' 7 >&2\n`);
  t.equal(renderShellCommand('M', 1, 'git', [], '/', { 'a-b': '1' }, {}), null, 'a name the shell cannot set');
  t.equal(renderShellCommand('M', 1, 'git', [], '/', {}, { 'a-b': '1' }), null, 'a name the shell cannot unset');
  t.equal(renderShellCommand('M', 2, 'cat', [], '/', {}, {}, 'a\n'), `(cd -- '/' || exit 126; exec 'cat' <<'M-in-2'\na\nM-in-2\n); s=$?; printf '\\n%s %s %s\\n' 'M' 2 "$s"; printf '\\n%s %s\\n' 'M' 2 >&2\n`);
  t.equal(renderShellCommand('M', 2, 'cat', [], '/', {}, {}, 'a\nM-in-2\nb\n'), null, 'a line equal to the end word');
  t.equal(renderShellCommand('M', 2, 'cat', [], '/', {}, {}, 'M-in-2\n'), null, 'also as the first line');
  t.equal(renderShellCommand('M', 2, 'cat', [], '/', {}, {}, 'a'), null, 'no newline at the end');
});

t.test('Collected finds an end line split across pieces, and keeps what follows', async (t) => {
  const c = new Collected();
  const parts = ['out', 'put\nMA', 'RK 1 ', '0', '\nnext'];
  let found = null;
  for (const p of parts) {
    c.push(Buffer.from(p));
    found = c.findLine('\nMARK 1 ');
    if (found) break;
  }
  t.ok(found);
  t.equal(found!.rest, '0');
  t.equal(c.take(found!.at, found!.end).toString(), 'output');
  c.push(Buffer.from('\nMARK 2 5\n'));
  const second = c.findLine('\nMARK 2 ')!;
  t.equal(c.take(second.at, second.end).toString(), 'next');
});

t.test('ENGINE_NO_SPAWN_SHELL=1: every command goes to node spawn, with the same result', async (t) => {
  const before = shellStats.commands;
  process.env.ENGINE_NO_SPAWN_SHELL = '1';
  t.teardown(() => {
    delete process.env.ENGINE_NO_SPAWN_SHELL;
  });
  const r = await runCaptured(printf, ['%s\\0', ...HOSTILE], '/', env());
  t.same(r.stdout.toString('utf8').split('\0').slice(0, -1), HOSTILE);
  const hung = await runCaptured('/bin/sleep', ['3'], '/', env(), '', { timeoutMs: 200 });
  t.equal(hung.signal, 'SIGKILL');
  const missing = await runCaptured('engine-no-such-program', ['x'], '/', env());
  t.match(describeStartError('engine-no-such-program', missing), /^engine-no-such-program could not be run: not found in PATH \(its absolute directories: \//);
  t.equal(describeStartError('x', r), null, 'a program that ran');
  t.match(missing.startError, /^not found in PATH/, 'the reason alone');
  t.equal(shellStats.commands, before, 'none went through the shell');
});

t.test("a bare name is found on PATH's absolute directories only, and the command gets only those", async (t) => {
  // The engine runs its commands in workspaces a worker writes; `.`, `node_modules/.bin` or an
  // empty entry in the user's PATH would find the worker's program there.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-relpath-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const rel of ['git', 'node_modules/.bin/git']) {
    const file = path.join(dir, rel);
    spawnSync('mkdir', ['-p', path.dirname(file)]);
    writeFileSync(file, '#!/bin/sh\necho planted\n', { mode: 0o755 });
  }
  for (const direct of [false, true]) {
    if (direct) process.env.ENGINE_NO_SPAWN_SHELL = '1';
    const e = { ...env(), PATH: `:.:node_modules/.bin::${process.env.PATH}` };
    const r = await runCaptured('git', ['--version'], dir, e);
    t.match(r.stdout.toString(), /^git version /, `${direct ? "node's spawn" : 'the shell'}: the system's git, not the one in the directory`);
    const p = await runCaptured('/bin/sh', ['-c', 'printf %s "$PATH"'], dir, e);
    t.same(p.stdout.toString().split(':').filter((d) => !d.startsWith('/')), [], 'no relative or empty entry in the command\'s PATH');
    delete process.env.ENGINE_NO_SPAWN_SHELL;
  }
});
