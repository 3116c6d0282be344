import t from 'tap';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { runWorkerCall, allocateCallDir } from '../../engine/workers/run-worker-call.js';
import { commandWorker } from '../../engine/workers/command-worker.js';
import { replayWorker, locateReplayCat } from '../../engine/workers/replay-worker.js';
import { defineWorker } from '../../engine/workers/types.js';
import { createCodexParser } from '../../engine/workers/parse/codex-exec-json.js';
import { formatHeaders } from '../../engine/workers/prompt-headers.js';
import { packageRoot } from '../../engine/paths.js';
import { fakeWorker, makeCtx, makeTempDir } from '../fixtures/workers/make-ctx.js';

// replay runs dist/engine/workers/replay-cat.js; build that one file when dist lacks it.
if (!locateReplayCat(packageRoot)) {
  const src = readFileSync(path.join(packageRoot, 'engine', 'workers', 'replay-cat.ts'), 'utf8');
  const out = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.NodeNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  mkdirSync(path.join(packageRoot, 'dist', 'engine', 'workers'), { recursive: true });
  writeFileSync(path.join(packageRoot, 'dist', 'engine', 'workers', 'replay-cat.js'), out);
}

const prompt = (phase: 'implement' | 'repair' | 'review', attempt: number, repairOf?: string) =>
  `${formatHeaders({ phase, step: phase === 'review' ? 'review' : 'implement', milestone: 1, attempt, repairOf })}\n\nbody`;

t.test('a recorded run is served back call by call with the original dialect', async (t) => {
  const run = makeTempDir();
  const calls = path.join(run, 'calls');
  // Record: a codex-dialect call with an over-long line, and a command call that failed.
  const codexLike = defineWorker({
    ...commandWorker,
    name: 'codex',
    invoke: (ctx) => ({ bin: process.execPath, args: ['-e', `
      const l = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
      l({type:'thread.started',thread_id:'th-1'});
      l({type:'item.completed',item:{id:'big',type:'reasoning',text:'z'.repeat(1200000)}});
      l({type:'item.completed',item:{id:'a',type:'agent_message',text:'BEGIN_MARKERS\\n{"status":"done","summary":"s","files_changed":[],"commands_run":[],"needs":null}\\nEND_MARKERS'}});
      l({type:'turn.completed',usage:{input_tokens:9,cached_input_tokens:0,output_tokens:1}});`], env: { PATH: process.env.PATH }, cwd: ctx.cwd, stdin: 'closed' }),
    createParser: () => createCodexParser(),
  });
  const rec1 = await runWorkerCall({ plugin: codexLike, ctx: makeCtx({ use: 'codex' }, { prompt: prompt('implement', 1) }), callDir: allocateCallDir(calls, 'implement', 'coder') });
  t.equal(rec1.outcome, 'ok');
  t.equal(rec1.meta.long_lines.length, 1);
  const rec2 = await runWorkerCall({ plugin: commandWorker, ctx: makeCtx({ use: 'command', bin: process.execPath, args: [fakeWorker('exit-code.mjs'), '3'] }, { prompt: prompt('review', 1), phase: 'review' }), callDir: allocateCallDir(calls, 'review', 'rev') });
  t.equal(rec2.outcome, 'failed');

  const home = makeTempDir();
  const replayed = await runWorkerCall({ plugin: replayWorker, ctx: makeCtx({ use: 'replay', from_run: run }, { prompt: prompt('implement', 1), homeDir: home }), callDir: path.join(makeTempDir(), 'r1') });
  t.equal(replayed.outcome, 'ok');
  t.equal(replayed.meta.dialect, 'codex-exec-json', 'parsed with the recorded dialect');
  t.equal(replayed.sessionId, 'th-1');
  t.same(replayed.markers, rec1.markers);
  t.equal(readFileSync(path.join(replayed.callDir, 'stdout.log'), 'utf8'), readFileSync(path.join(rec1.callDir, 'stdout.log'), 'utf8'), 'the over-long line was put back and moved aside again');

  const failed = await runWorkerCall({ plugin: replayWorker, ctx: makeCtx({ use: 'replay', from_run: run }, { prompt: prompt('review', 1), phase: 'review', homeDir: home }), callDir: path.join(makeTempDir(), 'r2') });
  t.equal(failed.outcome, 'failed');
  t.equal(failed.meta.exit_code, 3, 'recorded exit code');
  t.match(failed.meta.error, /something went wrong/);

  const missing = await runWorkerCall({ plugin: replayWorker, ctx: makeCtx({ use: 'replay', from_run: run }, { prompt: prompt('implement', 2), homeDir: home }), callDir: path.join(makeTempDir(), 'r3') });
  t.equal(missing.outcome, 'failed');
  t.match(missing.meta.error, /no recorded call .* phase=implement milestone=1 attempt=2/);
  t.ok(existsSync(path.join(home, 'replay-served.json')), 'served calls are counted in the home');
});

// The run a replay serves is input: a worker that ran without the sandbox could have written
// its own call records, and a user may point `from_run` anywhere. A hostile probe's broken
// meta.json stopped the engine with exit 70 (an unguarded JSON.parse).
t.test('a recorded run whose records are broken fails the call with their name, never the engine', async (t) => {
  const cases: [string, (calls: string) => void, RegExp][] = [
    ['a meta.json that is not JSON', (calls) => writeCall(calls, '{bad'), /0001-implement-coder\/meta\.json is not a call's meta\.json: .*JSON/],
    ['a meta.json nested past any real one', (calls) => writeCall(calls, `{"dialect":${'['.repeat(5000)}${']'.repeat(5000)}}`), /is not a call's meta\.json: JSON nested deeper than 256 levels/],
    ['a meta.json without a dialect string', (calls) => writeCall(calls, '{"dialect":7}'), /is not a call's meta\.json: no dialect string in it/],
    ['a meta.json that is a directory', (calls) => writeCall(calls, null), /meta\.json cannot be read as a file/],
    ['a meta.json of 600 MB (sparse)', (calls) => { writeCall(calls, '{}'); truncateSync(path.join(calls, '0001-implement-coder', 'meta.json'), 600 * 2 ** 20); }, /meta\.json cannot be read as a file \(of at most 16777216 bytes\)/],
    ['calls/ that is a file', (calls) => writeFileSync(calls, 'not a directory'), /calls cannot be listed/],
  ];
  for (const [name, make, error] of cases) {
    const run = makeTempDir();
    make(path.join(run, 'calls'));
    const r = await runWorkerCall({ plugin: replayWorker, ctx: makeCtx({ use: 'replay', from_run: run }, { prompt: prompt('implement', 1), homeDir: makeTempDir() }), callDir: path.join(makeTempDir(), 'r') });
    t.equal(r.outcome, 'failed', `${name}: the call fails`);
    t.match(r.meta.error, error, `${name}: and says why`);
  }
  // A dialect named like a property every object has is no dialect: the codex reading serves it.
  const run = makeTempDir();
  writeCall(path.join(run, 'calls'), '{"dialect":"toString"}');
  const served = await runWorkerCall({ plugin: replayWorker, ctx: makeCtx({ use: 'replay', from_run: run }, { prompt: prompt('implement', 1), homeDir: makeTempDir() }), callDir: path.join(makeTempDir(), 'r') });
  t.equal(served.meta.dialect, 'codex-exec-json', 'a dialect `toString` is read as codex');
});

/** calls/0001-implement-coder with an implement prompt, and its meta.json (null: a directory there). */
function writeCall(calls: string, meta: string | null): void {
  const dir = path.join(calls, '0001-implement-coder');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'prompt.md'), prompt('implement', 1));
  writeFileSync(path.join(dir, 'stdout.log'), '');
  if (meta === null) mkdirSync(path.join(dir, 'meta.json'));
  else writeFileSync(path.join(dir, 'meta.json'), meta);
}

/** A replay of a recorded implement call whose folder `make` tampered with: the result and the new call's folder. */
async function replayTampered(make: (dir: string) => void) {
  const run = makeTempDir();
  writeCall(path.join(run, 'calls'), '{"dialect":"codex-exec-json","exit_code":0}');
  make(path.join(run, 'calls', '0001-implement-coder'));
  const callDir = path.join(makeTempDir(), 'r');
  const r = await runWorkerCall({ plugin: replayWorker, ctx: makeCtx({ use: 'replay', from_run: run }, { prompt: prompt('implement', 1), homeDir: makeTempDir() }), callDir });
  return { r, callDir };
}

t.test("a recorded call's meta.json or prompt.md that is a link is refused, and no error shows what it leads to", async (t) => {
  // A link to a file of the user (not JSON): its first bytes were in the parse error the
  // call, its run's timeline and the terminal showed.
  const secret = path.join(makeTempDir(), 'id_rsa');
  writeFileSync(secret, 'PRIVATE KEY 5ecr3t\n');
  const secretJson = path.join(makeTempDir(), 'meta.json');
  writeFileSync(secretJson, '{"dialect":"codex-exec-json","exit_code":0,"x":"PRIVATE KEY 5ecr3t"}');
  const cases: [string, (dir: string) => void, RegExp][] = [
    ['meta.json a link to a file that is not JSON', (dir) => { rmSync(path.join(dir, 'meta.json')); symlinkSync(secret, path.join(dir, 'meta.json')); }, /meta\.json is a link: a recorded call's records are read only as the files there/],
    ['meta.json a link to a call\'s meta of another run', (dir) => { rmSync(path.join(dir, 'meta.json')); symlinkSync(secretJson, path.join(dir, 'meta.json')); }, /meta\.json is a link/],
    ['prompt.md a link to a prompt elsewhere', (dir) => { const other = path.join(makeTempDir(), 'prompt.md'); writeFileSync(other, prompt('implement', 1)); rmSync(path.join(dir, 'prompt.md')); symlinkSync(other, path.join(dir, 'prompt.md')); }, /no recorded call/],
    // The recording's own meta.json (a hard link is one too) that is not JSON: named, not shown.
    ['meta.json not JSON', (dir) => writeFileSync(path.join(dir, 'meta.json'), 'PRIVATE KEY 5ecr3t\n'), /meta\.json is not a call's meta\.json: not JSON/],
  ];
  for (const [name, make, said] of cases) {
    const { r, callDir } = await replayTampered(make);
    t.equal(r.outcome, 'failed', `${name}: the call fails`);
    t.match(r.meta.error, said, `${name}: and says why`);
    t.notMatch(JSON.stringify(r), /PRIVATE KEY|5ecr3t/, `${name}: nothing of the linked file in the call's result`);
    for (const f of ['stdout.log', 'stderr.log', 'meta.json']) t.notMatch(existsSync(path.join(callDir, f)) ? readFileSync(path.join(callDir, f), 'utf8') : '', /PRIVATE KEY|5ecr3t/, `${name}: nothing of it in the new call's ${f}`);
  }
});

t.test("a recorded call's stdout.log, a side file or stderr.log that is a link or no regular file is refused, never read through", async (t) => {
  // A recording passed on by someone else: its records could lead to the replaying user's own
  // files (copied into the new run's transcript) or to a device that never ends.
  const secret = path.join(makeTempDir(), 'id_rsa');
  writeFileSync(secret, 'PRIVATE KEY\n');
  const cases: [string, (dir: string) => void][] = [
    ['stdout.log a link to a file of the user', (dir) => { rmSync(path.join(dir, 'stdout.log')); symlinkSync(secret, path.join(dir, 'stdout.log')); }],
    ['stdout.log a link to /dev/zero', (dir) => { rmSync(path.join(dir, 'stdout.log')); symlinkSync('/dev/zero', path.join(dir, 'stdout.log')); }],
    ['stderr.log a link to a file of the user', (dir) => symlinkSync(secret, path.join(dir, 'stderr.log'))],
    ['a side file a link to a file of the user', (dir) => {
      writeFileSync(path.join(dir, 'stdout.log'), `[engine: line 1 (12 bytes, sha256 ${'0'.repeat(64)}) moved to stdout.line-1.txt]\n`);
      symlinkSync(secret, path.join(dir, 'stdout.line-1.txt'));
    }],
  ];
  for (const [name, make] of cases) {
    const { r, callDir } = await replayTampered(make);
    t.equal(r.outcome, 'failed', `${name}: the call fails`);
    for (const f of ['stdout.log', 'stderr.log']) t.notMatch(existsSync(path.join(callDir, f)) ? readFileSync(path.join(callDir, f), 'utf8') : '', /PRIVATE KEY/, `${name}: nothing of the file behind the link in the new run's ${f}`);
  }
});

t.test("a recorded call's record that is a hard link (a second name) is refused, never read", async (t) => {
  // O_NOFOLLOW stops a symbolic link only: a recording could hold a hard link to a file of
  // the replaying user's on the same file system, copied then into the new run's transcript.
  const secret = path.join(makeTempDir(), 'id_rsa');
  writeFileSync(secret, 'PRIVATE KEY 5ecr3t\n');
  const cases: [string, (dir: string) => void, RegExp][] = [
    ['stdout.log', (dir) => { rmSync(path.join(dir, 'stdout.log')); linkSync(secret, path.join(dir, 'stdout.log')); }, /stdout\.log has another name \(a hard link\)/],
    ['stderr.log', (dir) => linkSync(secret, path.join(dir, 'stderr.log')), /stderr\.log has another name \(a hard link\)/],
    ['a side file', (dir) => {
      writeFileSync(path.join(dir, 'stdout.log'), `[engine: line 1 (12 bytes, sha256 ${'0'.repeat(64)}) moved to stdout.line-1.txt]\n`);
      linkSync(secret, path.join(dir, 'stdout.line-1.txt'));
    }, /stdout\.line-1\.txt has another name \(a hard link\)/],
    ['meta.json', (dir) => { rmSync(path.join(dir, 'meta.json')); linkSync(secret, path.join(dir, 'meta.json')); }, /meta\.json cannot be read as a file/],
  ];
  for (const [name, make, said] of cases) {
    const { r, callDir } = await replayTampered(make);
    t.equal(r.outcome, 'failed', `${name} a hard link: the call fails`);
    const told = [r.meta.error ?? '', ...['stderr.log'].map((f) => (existsSync(path.join(callDir, f)) ? readFileSync(path.join(callDir, f), 'utf8') : ''))].join('\n');
    t.match(told, said, `${name}: and says why`);
    t.notMatch(JSON.stringify(r), /PRIVATE KEY|5ecr3t/, `${name}: nothing of the linked file in the call's result`);
    for (const f of ['stdout.log', 'stderr.log', 'meta.json']) t.notMatch(existsSync(path.join(callDir, f)) ? readFileSync(path.join(callDir, f), 'utf8') : '', /PRIVATE KEY|5ecr3t/, `${name}: nothing of it in the new call's ${f}`);
  }
});
