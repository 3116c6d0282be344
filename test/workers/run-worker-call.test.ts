import t from 'tap';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { runWorkerCall, allocateCallDir } from '../../engine/workers/run-worker-call.js';
import { commandWorker } from '../../engine/workers/command-worker.js';
import { createCodexParser } from '../../engine/workers/parse/codex-exec-json.js';
import { createClaudeStreamParser } from '../../engine/workers/parse/claude-stream-json.js';
import { defineWorker, type StreamParser, type WorkerPlugin } from '../../engine/workers/types.js';
import { groupAlive, processAlive } from '../../engine/proc/spawn-group.js';
import { fakeWorker, makeCtx, makeTempDir } from '../fixtures/workers/make-ctx.js';

const node = process.execPath;
const script = (name: string, extra: string[] = []) => ({ use: 'command', bin: node, args: [fakeWorker(name), ...extra] });

/** A plugin that runs a fake script but reads it with a real CLI's parser. */
function fakeCli(name: string, file: string, parser: () => StreamParser): WorkerPlugin {
  return defineWorker({
    ...commandWorker,
    name,
    invoke: (ctx) => ({ bin: node, args: [fakeWorker(file)], env: { ...ctx.baseEnv }, cwd: ctx.cwd, stdin: 'closed' }),
    createParser: parser,
  });
}

function readAll(dir: string): string {
  return readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n');
}

t.test('call directories are numbered on from the highest present, listed once per process', (t) => {
  const calls = makeTempDir();
  mkdirSync(path.join(calls, '0007-implement-w'));
  t.equal(path.basename(allocateCallDir(calls, 'review', 'r w')), '0008-review-r_w', 'a resumed run goes on from what is there');
  // Made by someone else after the listing, above the next number: not listed again for it.
  mkdirSync(path.join(calls, '0012-implement-w'));
  t.equal(path.basename(allocateCallDir(calls, 'implement', 'w')), '0009-implement-w');
  // The next name taken: listed again, and on from the highest.
  mkdirSync(path.join(calls, '0010-review-r'));
  t.equal(path.basename(allocateCallDir(calls, 'review', 'r')), '0013-review-r');
  t.same(readdirSync(calls).sort(), ['0007-implement-w', '0008-review-r_w', '0009-implement-w', '0010-review-r', '0012-implement-w', '0013-review-r']);
  t.end();
});

t.test('a command worker call writes the whole call directory', async (t) => {
  const calls = makeTempDir();
  const callDir = allocateCallDir(calls, 'review', 'fake');
  t.equal(path.basename(callDir), '0001-review-fake');
  t.equal(path.basename(allocateCallDir(calls, 'review', 'fake')), '0002-review-fake');
  const ctx = makeCtx({ ...script('read-stdin.mjs'), output: 'text' }, { phase: 'review', readOnly: true });
  let spawned = 0;
  const r = await runWorkerCall({ plugin: commandWorker, ctx, callDir, onSpawn: (pid) => (spawned = pid), idleTimeoutMs: 60_000 });
  t.equal(r.outcome, 'ok');
  t.equal(r.parseFailed, false);
  t.same(r.markers, { verdict: 'approve', changes: [] });
  t.ok(spawned > 0, 'onSpawn got the pid');
  for (const f of ['prompt.md', 'stdout.log', 'stderr.log', 'events.jsonl', 'text.md', 'markers.json', 'meta.json']) t.ok(existsSync(path.join(callDir, f)), f);
  t.equal(readFileSync(path.join(callDir, 'prompt.md'), 'utf8'), ctx.prompt);
  t.match(readFileSync(path.join(callDir, 'stdout.log'), 'utf8'), new RegExp(`^read ${ctx.prompt.length} chars\n`), 'the prompt reached stdin, which was then closed');
  const meta = JSON.parse(readFileSync(path.join(callDir, 'meta.json'), 'utf8'));
  t.match(meta, { worker: 'w', plugin: 'command', dialect: 'command-text', exit_code: 0, timed_out: false, outcome: 'ok', truncated: false, schema_version: 1, markers_error: null });
  t.equal(meta.bytes, statSync(path.join(callDir, 'stdout.log')).size);
});

t.test('an idle worker and its own child are both ended; the call is timed_out', async (t) => {
  const ctx = makeCtx({ ...script('hang-with-child.mjs'), output: 'jsonl' });
  const r = await runWorkerCall({ plugin: commandWorker, ctx, callDir: path.join(makeTempDir(), 'c'), idleTimeoutMs: 1500, killGraceMs: 200 });
  t.equal(r.outcome, 'timed_out');
  t.equal(r.parseFailed, false, 'a worker failure is never a parse failure');
  t.equal(r.meta.idle_timed_out, true);
  // Which limit ended it, by its key: a new user could not tell the idle limit from the time limit.
  t.equal(r.meta.error, 'no output for 1.5 s: the idle limit ended it (idle_timeout_s, or budgets.worker_idle_timeout_s)');
  const log = readFileSync(path.join(r.callDir, 'stdout.log'), 'utf8');
  const childPid = Number(/child (\d+)/.exec(log)?.[1]);
  t.ok(childPid > 0, `the child was started: ${log}`);
  t.notOk(groupAlive(r.meta.pid!), 'no process of the group is left');
  t.notOk(processAlive(childPid), 'the child is gone (or a zombie awaiting its reaper)');
  t.notOk(existsSync(path.join(r.callDir, 'markers.json')));
});

t.test('a process that printed its terminal event but does not exit is reaped, and the call is ok', async (t) => {
  const plugin = fakeCli('codex-like', 'codex-terminal-then-hang.mjs', createCodexParser);
  const ctx = makeCtx({ use: 'codex' }, { phase: 'review' });
  const r = await runWorkerCall({ plugin, ctx, callDir: path.join(makeTempDir(), 'c'), terminalGraceMs: 100, killGraceMs: 100, idleTimeoutMs: 60_000, cliVersion: null });
  t.equal(r.outcome, 'ok');
  t.equal(r.meta.reaped_after_terminal, true);
  t.equal(r.meta.timed_out, false);
  t.equal(r.sessionId, 't-hang');
  t.same(r.markers, { verdict: 'approve', changes: [] });
  t.notOk(groupAlive(r.meta.pid!));
});

t.test('claude-like "success" with is_error true is a worker failure, not a parse failure', async (t) => {
  const plugin = fakeCli('claude-like', 'claude-is-error.mjs', createClaudeStreamParser);
  const r = await runWorkerCall({ plugin, ctx: makeCtx({ use: 'claude' }), callDir: path.join(makeTempDir(), 'c'), cliVersion: null });
  t.equal(r.outcome, 'failed');
  t.equal(r.parseFailed, false);
  t.match(r.meta.error, /401 invalid x-api-key/);
  t.equal(r.meta.exit_code, 0);
});

t.test('garbage markers are a parse failure; the repair answer validates', async (t) => {
  const calls = makeTempDir();
  const first = await runWorkerCall({ plugin: commandWorker, ctx: makeCtx(script('markers-repair.mjs')), callDir: allocateCallDir(calls, 'implement', 'w') });
  t.equal(first.outcome, 'ok');
  t.equal(first.parseFailed, true);
  t.match(first.markersError, /not valid JSON/);
  t.notOk(existsSync(path.join(first.callDir, 'markers.json')));
  t.match(first.meta.markers_error, /not valid JSON/);
  const repairPrompt = 'engine-phase: repair\nengine-contract: 1\nengine-step: implement\nengine-milestone: 1\nengine-attempt: 1\nengine-repair-of: implement\n\nFix the block.';
  const second = await runWorkerCall({
    plugin: commandWorker,
    ctx: makeCtx(script('markers-repair.mjs'), { phase: 'repair', prompt: repairPrompt }),
    markersPhase: 'implement',
    callDir: allocateCallDir(calls, 'implement', 'w'),
  });
  t.equal(second.parseFailed, false);
  t.same(second.markers, { status: 'done', summary: 'fixed', files_changed: [], commands_run: [], needs: null });
  t.ok(existsSync(path.join(second.callDir, 'markers.json')));
});

t.test('secret values never reach any file of the call directory', async (t) => {
  const secret = 'sk-secret-123';
  const ctx = makeCtx({ ...script('print-secret.mjs'), output: 'jsonl', env: { OPENAI_API_KEY: secret } }, { phase: 'review', prompt: `engine-phase: review\nuse ${secret}` });
  const r = await runWorkerCall({ plugin: commandWorker, ctx, callDir: path.join(makeTempDir(), 'c'), redact: ['*_KEY'] });
  const all = readAll(r.callDir);
  t.notOk(all.includes(secret), 'no file holds the secret');
  t.ok(all.includes('[REDACTED:OPENAI_API_KEY]'), 'it was replaced by a mark');
  t.match(readFileSync(path.join(r.callDir, 'stdout.log'), 'utf8'), /^OPENAI_API_KEY=\[REDACTED:OPENAI_API_KEY\]\n/, 'a secret split across two writes is found');
  t.match(readFileSync(path.join(r.callDir, 'stderr.log'), 'utf8'), /REDACTED/);
  t.same(r.markers, { verdict: 'request_changes', changes: ['rotate [REDACTED:OPENAI_API_KEY]'] });
});

t.test('an over-long line goes to a side file with its hash; the cap truncates stdout.log', async (t) => {
  const r = await runWorkerCall({ plugin: commandWorker, ctx: makeCtx({ ...script('long-line.mjs'), output: 'jsonl' }, { phase: 'review' }), callDir: path.join(makeTempDir(), 'c') });
  t.equal(r.outcome, 'ok');
  t.same(r.markers, { verdict: 'approve', changes: [] });
  t.equal(r.meta.long_lines.length, 1);
  const side = readFileSync(path.join(r.callDir, r.meta.long_lines[0]!.file!));
  t.ok(side.length > 2 * 1024 * 1024);
  const log = readFileSync(path.join(r.callDir, 'stdout.log'), 'utf8');
  t.match(log, /^\[engine: line 1 \(\d+ bytes, sha256 [0-9a-f]{64}\) moved to stdout\.line-1\.txt\]\n/);

  const small = await runWorkerCall({ plugin: commandWorker, ctx: makeCtx({ ...script('long-line.mjs'), output: 'jsonl' }, { phase: 'review' }), callDir: path.join(makeTempDir(), 'c'), rawCapBytes: 1000 });
  t.equal(small.meta.truncated, true);
  t.equal(small.meta.cap_bytes, 1000);
  t.ok(statSync(path.join(small.callDir, 'stdout.log')).size <= 1000);
  t.equal(small.outcome, 'ok', 'parsing goes on past the cap');
  t.same(small.markers, { verdict: 'approve', changes: [] });
});

t.test('non-zero exit of a command worker is failed with its stderr', async (t) => {
  const r = await runWorkerCall({ plugin: commandWorker, ctx: makeCtx(script('exit-code.mjs', ['4'])), callDir: path.join(makeTempDir(), 'c') });
  t.equal(r.outcome, 'failed');
  t.equal(r.parseFailed, false);
  t.match(r.meta.error, /exit code 4: something went wrong/);
  t.notOk(existsSync(path.join(r.callDir, 'markers.json')));
});

t.test('a missing binary is a failed call, not a throw', async (t) => {
  const r = await runWorkerCall({ plugin: commandWorker, ctx: makeCtx({ use: 'command', bin: '/nonexistent/worker' }), callDir: path.join(makeTempDir(), 'c') });
  t.equal(r.outcome, 'failed');
  t.match(r.meta.error, /ENOENT/);
});

t.test('an abort ends the call as incomplete', async (t) => {
  const ac = new AbortController();
  const p = runWorkerCall({ plugin: commandWorker, ctx: makeCtx({ ...script('hang-with-child.mjs'), output: 'jsonl' }), callDir: path.join(makeTempDir(), 'c'), signal: ac.signal, onSpawn: () => setTimeout(() => ac.abort(), 50), killGraceMs: 100 });
  const r = await p;
  t.equal(r.outcome, 'incomplete');
  t.equal(r.meta.aborted, true);
  t.notOk(groupAlive(r.meta.pid!));
});


t.test('a plugin that cannot build its command line is a failed call that says why', async (t) => {
  const broken = defineWorker({
    ...commandWorker,
    name: 'broken',
    invoke: () => {
      throw new Error('no bin configured');
    },
  });
  const r = await runWorkerCall({ plugin: broken, ctx: makeCtx({ use: 'command', bin: node }), callDir: path.join(makeTempDir(), 'c') });
  t.equal(r.outcome, 'failed');
  t.equal(r.parseFailed, false);
  t.match(r.meta.error, /worker w \(broken\) could not be invoked: no bin configured/);
  t.equal(r.meta.exit_code, 2, 'the stand-in process exits 2');
  t.match(readFileSync(path.join(r.callDir, 'stderr.log'), 'utf8'), /could not be invoked: no bin configured/);
  t.ok(existsSync(path.join(r.callDir, 'meta.json')), 'the call is recorded like any other');
});

t.test('a signal aborted before the call ends it at once as incomplete', async (t) => {
  const ac = new AbortController();
  ac.abort();
  const r = await runWorkerCall({ plugin: commandWorker, ctx: makeCtx({ ...script('hang-with-child.mjs'), output: 'jsonl' }), callDir: path.join(makeTempDir(), 'c'), signal: ac.signal, killGraceMs: 100 });
  t.equal(r.outcome, 'incomplete');
  t.equal(r.meta.aborted, true);
  t.equal(r.meta.error, 'the call was aborted');
  t.notOk(r.meta.timed_out || r.meta.idle_timed_out, 'no limit fired');
  t.notOk(groupAlive(r.meta.pid!), 'no process of the group is left');
});

t.test('stderr.log stops at the cap; stderr_bytes counts it all; the end of stderr still names the failure', async (t) => {
  const noise = Array.from({ length: 300 }, (_, i) => `log line ${i}\n`).join('');
  const body = `process.stderr.write(${JSON.stringify(noise)} + "the real reason\\n"); process.exit(3)`;
  const r = await runWorkerCall({ plugin: commandWorker, ctx: makeCtx({ use: 'command', bin: node, args: ['-e', body] }), callDir: path.join(makeTempDir(), 'c'), rawCapBytes: 1000 });
  t.equal(r.outcome, 'failed');
  t.equal(statSync(path.join(r.callDir, 'stderr.log')).size, 1000, 'stderr.log holds the cap');
  t.equal(r.meta.stderr_bytes, noise.length + 'the real reason\n'.length, 'every stderr byte is counted');
  t.match(r.meta.error, /the real reason/, 'the error is taken from the tail, past the cap');
});

// A hostile probe's worker printed a tool call nested 5,000 deep (jsonl) and an answer nested
// 20,000 deep (json): the first crashed the engine's transcript (a stack overflow, exit 1,
// the run left `running`), the second its reading of the answer (exit 70). Such JSON is now
// text that is not JSON: the call goes on, and its answer is judged as any other.
t.test('JSON nested deeper than any real event is noise, not a crash', async (t) => {
  const markers = { status: 'done', summary: 's', files_changed: [], commands_run: [], needs: null };
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const print = (...lines: string[]) => ['-e', `process.stdout.write(${JSON.stringify(lines.join('\n') + '\n')})`];
  const answer = JSON.stringify({ kind: 'message', role: 'assistant', text: `BEGIN_MARKERS\n${JSON.stringify(markers)}\nEND_MARKERS` });

  const jsonl = await runWorkerCall({ plugin: commandWorker, ctx: makeCtx({ use: 'command', bin: node, args: print(`{"kind":"tool_call","name":"x","id":"1","input":${deep(5000)}}`, answer), output: 'jsonl' }), callDir: path.join(makeTempDir(), 'c'), idleTimeoutMs: 60_000 });
  t.equal(jsonl.outcome, 'ok', 'the call ends ok: its markers came after');
  t.same(jsonl.markers, markers);
  const events = readFileSync(path.join(jsonl.callDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.match(events[0], { kind: 'unknown', type: 'non_json_line' }, 'the deep line is kept as a line that is not JSON');
  t.notOk(events.some((e) => e.kind === 'tool_call'), 'no tool call made of it');

  const json = await runWorkerCall({ plugin: commandWorker, ctx: makeCtx({ use: 'command', bin: node, args: print(`{"x":${deep(20_000)}}`), output: 'json' }), callDir: path.join(makeTempDir(), 'c'), idleTimeoutMs: 60_000 });
  t.equal(json.parseFailed, true, 'a whole answer nested that deep is a parse failure, repaired as any other');
  t.notOk(existsSync(path.join(json.callDir, 'markers.json')));

});

// The same for a worker's own answer: `/\n+$/` and `^\s*BEGIN_MARKERS\s*$` (m) were tried from
// every line feed of a long run that did not reach the end. A million of them now read in one
// pass (were they not, this test would not end before tap's limit).
t.test('an answer with a million line feeds in it is read in one pass', async (t) => {
  const markers = { status: 'done', summary: 's', files_changed: [], commands_run: [], needs: null };
  // The worker writes the line feeds itself: a million of them do not fit in its arguments.
  const run = (code: string) => runWorkerCall({ plugin: commandWorker, ctx: makeCtx({ use: 'command', bin: node, args: ['-e', `const feeds = '\\n'.repeat(1e6); process.stdout.write(${code})`], output: 'text' }), callDir: path.join(makeTempDir(), 'c'), idleTimeoutMs: 60_000 });
  const noBlock = await run("feeds + 'x'");
  t.equal(noBlock.parseFailed, true, 'no block: a parse failure');
  const block = await run(`feeds + ' \\t\\nBEGIN_MARKERS\\n' + ${JSON.stringify(JSON.stringify(markers))} + '\\nEND_MARKERS\\n' + feeds`);
  t.same(block.markers, markers, 'a block after them is found');
});
