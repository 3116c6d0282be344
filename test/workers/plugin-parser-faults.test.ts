import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { childEnv, engine, engineBin, engineHere, makeFixture } from '../helpers/run-fixture.js';
import { makeFixture as makeInstantFixture } from '../../bench/fixtures/instant-run.mjs';
import { namesEngineFile } from '../../engine/cli/main.js';

// A new user's probe: a plugin whose parser threw in line() killed the engine with Node's
// uncaught-exception dump (exit 1, the run left `running` with its lock); one that threw in
// end(), or returned an outcome that is none, ended 70 ("a bug in the engine"). A plugin's
// parser is the plugin author's code: its fault fails the call (worker_failed), named.
//
// A fault the engine catches where it calls the plugin (its parser, an event or outcome that
// is no JSON, a hook that throws) is tried in this process, the CLI kernel on the stepping
// clock (`engineHere`); one that reaches the process itself (a promise never settled, an exit,
// an error nothing awaited, a handle left open, its output's end) in an engine process.
const clock = { ENGINE_FAKE_CLOCK: '2026-01-02T03:04:05.000Z' };

const echo = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'workers', 'plugins', 'echo-plugin.mjs'), 'utf8');

/** The echo plugin with its parser made to fail where `fault` says. */
function faultyPlugin(dir: string, fault: string): void {
  const faulty = echo
    .replace('const o = JSON.parse(l);', `if (${JSON.stringify(fault)} === 'line') throw new Error('parser line boom');\n        const o = JSON.parse(l);`)
    .replace('end(exit) {', `end(exit) {\n        if (${JSON.stringify(fault)} === 'end') throw new Error('parser end boom');\n        if (${JSON.stringify(fault)} === 'outcome') return { outcome: 'great' };`)
    .replace('createParser() {', `createParser() {\n    if (${JSON.stringify(fault)} === 'create') throw new Error('create boom');`);
  writeFileSync(path.join(dir, 'faulty-plugin.mjs'), faulty);
}

for (const [fault, why] of [
  ['line', /parser line boom/],
  ['end', /parser end boom/],
  ['outcome', /outcome "great"/],
  ['create', /create boom/],
] as const) {
  t.test(`a plugin parser that fails (${fault}): the call fails, the run stops worker_failed, its lock released`, async (t) => {
    const f = makeFixture({ pipeline: (p) => (p.workers.reviewer = { use: './faulty-plugin.mjs' }) });
    faultyPlugin(f.dir, fault);
    const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'pf', '--no-progress'], { cwd: f.dir, env: clock });
    t.equal(r.code, 1, r.stderr);
    t.notMatch(r.stderr, /internal error|Uncaught|at Object\./, 'no bug report, no stack');
    const runDir = path.join(f.repo, '.engine', 'runs', 'pf');
    const state = JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8'));
    t.match(state, { status: 'stopped', stop_reason: 'worker_failed' });
    t.match(state.stop_detail, why, state.stop_detail);
    t.notOk(existsSync(path.join(runDir, 'run.lock')), 'no lock left');
  });
}

// A review: the guarded plugin was a copy, so a class's private fields threw and what a method
// kept on `this` was not seen by the others. It is the plugin itself behind a proxy.
t.test('a guarded plugin is the plugin itself: private fields, state on this, spreading', async (t) => {
  const { guardPlugin } = await import('../../engine/workers/guard-parser.js');
  class Counting {
    #made = 0;
    name = 'counting';
    contract = 1 as const;
    async detectVersion() {
      return `${this.#made}`;
    }
    resolveBin() {
      return 'x';
    }
    invoke() {
      return { bin: 'x', args: [String(this.#made)], env: {}, cwd: '/', stdin: 'closed' as const };
    }
    createParser() {
      this.#made++;
      return { line: () => { throw new Error('boom'); }, end: () => ({ outcome: 'ok' as const, finalText: '', sessionId: null, dialect: 'c', usage: null, costUsd: null, unknownEventTypes: {}, error: null }), sawTerminal: () => { throw new Error('terminal boom'); } };
    }
  }
  const plugin = guardPlugin(new Counting() as never, '/p/counting.mjs');
  const parser = plugin.createParser({} as never);
  t.same(parser.line('x'), [], 'a throwing line() gives no events');
  t.equal(parser.sawTerminal?.(), false);
  t.match(parser.end({} as never, ''), { outcome: 'failed', error: /the worker plugin's parser \(\/p\/counting\.mjs\) line\(\) threw: boom/ });
  t.equal(await plugin.detectVersion({ bin: 'x', env: {} }), '1', 'the private field createParser counted is the one detectVersion reads');
  t.same((plugin.invoke({} as never) as { args: string[] }).args, ['1']);
  const spread = { ...plugin };
  t.equal(spread.name, 'counting', 'spreading keeps its fields');
  const terminal = plugin.createParser({} as never);
  t.equal(terminal.sawTerminal?.(), false, 'a throwing sawTerminal() is no terminal event');
  t.match(terminal.end({} as never, ''), { outcome: 'failed', error: /sawTerminal\(\) threw: terminal boom/ });
});

// A hostile probe's plugin returned promises that never settle: from its module's top level,
// from detectVersion, from prepare. Nothing else was left for Node to wait on, and it ended
// `engine run` and `engine doctor` with exit 0 and no word (the run left `running`). The
// engine now says which plugin hook never settled, and exits 1.
for (const [fault, hook, edit] of [
  ['top-level', "its module's top level", (src: string) => `await new Promise(() => {});\n${src}`],
  ['detectVersion', 'detectVersion()', (src: string) => src.replace("async detectVersion() {\n    return '1.0.0';", 'detectVersion() {\n    return new Promise(() => {});')],
  ['prepare', 'prepare()', (src: string) => src.replace('  resolveBin() {', '  prepare() {\n    return new Promise(() => {});\n  },\n  resolveBin() {')],
] as const) {
  t.test(`a plugin whose ${fault} promise never settles: the engine says so and exits 1, never 0`, async (t) => {
    const f = makeFixture({ pipeline: (p) => (p.workers.reviewer = { use: './stalled-plugin.mjs' }) });
    const src = edit(echo);
    t.not(src, echo, 'the plugin was changed');
    writeFileSync(path.join(f.dir, 'stalled-plugin.mjs'), src);
    const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'st', '--no-progress'], { cwd: f.dir });
    t.equal(r.code, 1, r.stderr);
    t.match(r.stderr, new RegExp(`engine: error E_PLUGIN_STALLED worker plugin .*stalled-plugin\\.mjs: ${hook.replace(/[()]/g, '\\$&')}: its promise never settled`));
    t.notMatch(r.stderr, /internal error/);
    if (fault === 'detectVersion') {
      const d = engine(['doctor', '--repo', f.repo, f.pipelineFile], { cwd: f.dir });
      t.equal(d.code, 1, `doctor too: ${d.stderr}`);
      t.match(d.stderr, /E_PLUGIN_STALLED .*detectVersion\(\)/);
    }
  });
}

// A review: a plugin that calls process.exit(0) ended `engine run` with exit 0 and no word,
// its run left `running`, as if it had succeeded (`engine resume` did the same again). From
// wherever a plugin's code runs, the engine now says so and exits 1.
for (const [where, edit] of [
  ['its module\'s top level', (src: string) => `process.exit(0);\n${src}`],
  ['invoke()', (src: string) => src.replace('invoke(ctx) {', 'invoke(ctx) {\n    process.exit(0);')],
  ["its parser's line()", (src: string) => src.replace('const o = JSON.parse(l);', 'process.exit(0);\n        const o = JSON.parse(l);')],
] as const) {
  t.test(`a plugin that ends the process from ${where}: exit 1, said, never 0`, async (t) => {
    const f = makeFixture({ pipeline: (p) => (p.workers.reviewer = { use: './exiting-plugin.mjs' }) });
    const src = edit(echo);
    t.not(src, echo, 'the plugin was changed');
    writeFileSync(path.join(f.dir, 'exiting-plugin.mjs'), src);
    const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'ex', '--no-progress'], { cwd: f.dir });
    t.equal(r.code, 1, r.stderr);
    t.match(r.stderr, new RegExp(`engine: error E_PLUGIN_EXITED worker plugin .*exiting-plugin\\.mjs: ${where.replace(/[()']/g, '\\$&')}: it ended the engine's process \\(process\\.exit\\(0\\)\\) while the command ran`));
    t.notMatch(r.stderr, /internal error/);
  });
}

// The same probe's other plugin faults ended the engine (exit 70, or an uncaught error with
// the run left `running`): an event with a cycle or a BigInt, an outcome with a BigInt, an
// invoke() whose cwd was 42, a resolveBin() that threw undefined, a detectVersion() that threw
// before returning a promise. Each is the plugin's fault now, said where it shows.
for (const [fault, code, edit, said] of [
  ['an event with a cycle', 1, (src: string) => src.replace('return [o];', 'o.self = o;\n        return [o];'), /line\(\) returned an event that is not plain JSON/],
  ['an event with a BigInt', 1, (src: string) => src.replace('return [o];', 'o.n = 10n;\n        return [o];'), /line\(\) returned an event that is not plain JSON/],
  ['an outcome with a BigInt', 1, (src: string) => src.replace('usage: null, costUsd: null', 'usage: { input_tokens: 10n, output_tokens: 0 }, costUsd: null'), /end\(\) returned an outcome that is not plain JSON/],
  ['invoke() with a cwd of 42', 1, (src: string) => src.replace('cwd: ctx.cwd, stdin', 'cwd: 42, stdin'), /invoke\(\) returned a command line without cwd \(a directory\)/],
  ['resolveBin() throwing undefined', 4, (src: string) => src.replace('  resolveBin() {\n    return process.execPath;', '  resolveBin() {\n    throw undefined;'), /undefined/],
  ['detectVersion() throwing before its promise', 0, (src: string) => src.replace("async detectVersion() {\n    return '1.0.0';", "detectVersion() {\n    throw new Error('no version here');"), null],
] as const) {
  t.test(`a plugin with ${fault}: exit ${code}, said, never an engine error`, async (t) => {
    const f = makeFixture({ pipeline: (p) => (p.workers.reviewer = { use: './odd-plugin.mjs' }) });
    const src = edit(echo);
    t.not(src, echo, 'the plugin was changed');
    writeFileSync(path.join(f.dir, 'odd-plugin.mjs'), src);
    const r = await engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'odd', '--no-progress'], { cwd: f.dir, env: clock });
    t.equal(r.code, code, r.stderr.slice(-1500));
    t.notMatch(r.stderr, /internal error|Uncaught|at Object\.|TypeError/, 'no bug report, no stack');
    const runDir = path.join(f.repo, '.engine', 'runs', 'odd');
    // Said on the terminal, in state.json's stop, or in the failed call's meta.json.
    const metas = existsSync(path.join(runDir, 'calls')) ? readdirSync(path.join(runDir, 'calls')).map((c) => (existsSync(path.join(runDir, 'calls', c, 'meta.json')) ? readFileSync(path.join(runDir, 'calls', c, 'meta.json'), 'utf8') : '')).join('\n') : '';
    if (said) t.match(`${r.stdout}${r.stderr}${existsSync(path.join(runDir, 'state.json')) ? readFileSync(path.join(runDir, 'state.json'), 'utf8') : ''}${metas}`, said);
    if (existsSync(path.join(runDir, 'state.json'))) t.not(JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8')).status, 'running', 'the run was not left running');
  });
}

// A hostile review of plugin loading: a plugin's code that runs where nothing of it is awaited
// (an un-awaited promise, a timer) was said to be the engine's bug (exit 70), the run left
// `running`; its process.exit(0) from a timer likewise; its console.log broke every --json.
for (const [fault, prefix, said] of [
  ['an un-awaited promise that rejects', 'import fsp from "node:fs/promises";\nfsp.readFile("/nonexistent/plugin-config.json");\n', /engine: error E_PLUGIN_FAULT worker plugin .*late-plugin\.mjs: an error its code raised where nothing awaited it .*ENOENT/],
  ['a throw in its timer', 'setTimeout(() => { throw new Error("late boom"); }, 200);\n', /engine: error E_PLUGIN_FAULT worker plugin .*late-plugin\.mjs: .*late boom/],
  ['process.exit(0) in its timer', 'setTimeout(() => process.exit(0), 200);\n', /engine: error E_PLUGIN_EXITED worker plugin .*late-plugin\.mjs: it ended the engine's process \(process\.exit\(0\)\)/],
] as const) {
  t.test(`a plugin with ${fault}: its fault, exit 1, never the engine's bug`, async (t) => {
    const f = makeFixture({ pipeline: (p) => (p.workers.reviewer = { use: './late-plugin.mjs' }) });
    // Imported as the run is prepared: its 200 ms timer fires while the run's calls go on.
    writeFileSync(path.join(f.dir, 'late-plugin.mjs'), `${prefix}${echo}`);
    const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'late', '--no-progress'], { cwd: f.dir });
    t.equal(r.code, 1, r.stderr);
    t.match(r.stderr, said);
    t.notMatch(r.stderr, /internal error/);
  });
}

t.test("a plugin's console.log goes to stderr: stdout stays the engine's JSON; a handle it leaves open does not keep the command alive", async (t) => {
  const f = makeFixture({ pipeline: (p) => (p.workers.reviewer = { use: './noisy-plugin.mjs' }) });
  writeFileSync(path.join(f.dir, 'noisy-plugin.mjs'), `console.log("plugin loaded: hello");\nsetInterval(() => {}, 1000);\n${echo}`);
  // What the plugin holds open is given up after the exit grace: a short one here.
  const env = { ENGINE_EXIT_GRACE_S: '0.2' };
  const v = engine(['validate', f.pipelineFile, '--json'], { cwd: f.dir, env });
  t.equal(v.signal, null, 'validate ended on its own');
  t.equal(v.code, 0, v.stderr);
  t.match(JSON.parse(v.stdout), { files: [{ valid: true }] }, 'stdout is one JSON document');
  t.match(v.stderr, /plugin loaded: hello/, "the plugin's line is kept, on stderr");
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--json'], { cwd: f.dir, env });
  t.equal(r.signal, null, 'the run ended on its own');
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  for (const line of lines) t.doesNotThrow(() => JSON.parse(line), `a JSON line: ${line.slice(0, 60)}`);
  t.match(JSON.parse(lines.at(-1)!), { type: 'run.finished', status: 'completed' });
});

t.test('a plugin path that is a FIFO or a device is refused, never waited on or read without end', async (t) => {
  const f = makeFixture({ pipeline: (p) => (p.workers.reviewer = { use: './odd/plugin.mjs' }) });
  mkdirSync(path.join(f.dir, 'odd'));
  execFileSync('mkfifo', [path.join(f.dir, 'odd', 'plugin.mjs')]);
  const v = engine(['validate', f.pipelineFile], { cwd: f.dir });
  t.equal(v.code, 2, v.stderr);
  t.match(v.stderr, /error E_PLUGIN_MISSING worker plugin module not found: .*plugin\.mjs is not a regular file/);
  rmSync(path.join(f.dir, 'odd', 'plugin.mjs'));
  symlinkSync('/dev/zero', path.join(f.dir, 'odd', 'plugin.mjs'));
  const z = engine(['validate', f.pipelineFile], { cwd: f.dir });
  t.equal(z.code, 2, z.stderr);
  t.match(z.stderr, /is not a regular file/);
});

// A review of the process's end after a plugin was imported (it ends ENGINE_EXIT_GRACE_S, two
// seconds, after the command at most): its timer cut off what the engine still had to write to
// a slow reader (a reader 30 s behind got 64 KiB of a run's --json, its run.finished lost, exit 0).
t.test('with a plugin imported, a reader slower than the command still gets all of its output', async (t) => {
  // 16 milestones of instant workers: some 85 KB of events, written as the run goes, more
  // than a pipe holds (64 KiB): the rest waits in the engine's process for the reader.
  const f = makeInstantFixture(16, 'off');
  const pipeline = parse(readFileSync(f.pipelineFile, 'utf8'));
  pipeline.workers.reviewer = { use: './echo-plugin.mjs' };
  writeFileSync(f.pipelineFile, stringify(pipeline));
  writeFileSync(path.join(f.dir, 'echo-plugin.mjs'), echo);
  const out = path.join(f.dir, 'out.jsonl');
  // The reader starts reading a second after the run has completed, five times the grace given.
  const stateFile = path.join(f.repo, '.engine', 'runs', 'slow', 'state.json');
  const reader = `until grep -q '"status": *"completed"' "$6" 2>/dev/null; do sleep 0.1; done; sleep 1; cat > "$5"`;
  const script = `"$0" "$1" run "$2" --repo "$3" --policy "$4" --goal g --run-id slow --json 2>/dev/null | (${reader})`;
  const r = spawnSync('/bin/sh', ['-c', script, process.execPath, engineBin, f.pipelineFile, f.repo, f.policyFile, out, stateFile], { cwd: f.dir, env: childEnv({ ENGINE_EXIT_GRACE_S: '0.2' }), encoding: 'utf8', timeout: 120_000 });
  t.equal(r.status, 0, r.stderr);
  const text = readFileSync(out, 'utf8');
  t.ok(text.length > 64 * 1024, `${text.length} bytes, more than a pipe holds`);
  const lines = text.trim().split('\n');
  t.ok(lines.length > 100, `${lines.length} lines`);
  t.match(JSON.parse(lines.at(-1)!), { type: 'run.finished', status: 'completed' }, 'the last line came through');
});

// The same review: a plugin could still make a failed command exit 0 (process.exitCode set in
// its own `exit` listener, or process.reallyExit past the wrapper); and in an installed engine
// (under node_modules) every engine bug was called the plugin's.
t.test("a plugin's exit listener or reallyExit cannot make a failed command exit 0", async (t) => {
  const f = makeFixture({ pipeline: (p) => (p.workers.reviewer = { use: './zero-plugin.mjs' }) });
  writeFileSync(path.join(f.dir, 'zero-plugin.mjs'), `process.on('exit', () => { process.exitCode = 0; });\n${echo}`);
  writeFileSync(path.join(f.dir, 'bad.yaml'), 'kind: Nope\n');
  const v = engine(['validate', f.pipelineFile, 'bad.yaml'], { cwd: f.dir });
  t.equal(v.code, 2, `validate: ${v.stderr}`);
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--set', 'verification.tiers.tier0.commands=["false"]', '--no-progress'], { cwd: f.dir });
  t.not(r.code, 0, `a stopped run: ${r.stderr}`);
  writeFileSync(path.join(f.dir, 'zero-plugin.mjs'), echo.replace('invoke(ctx) {', 'invoke(ctx) {\n    process.reallyExit(0);'));
  const q = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress'], { cwd: f.dir });
  t.equal(q.code, 1, q.stderr);
  t.match(q.stderr, /E_PLUGIN_EXITED worker plugin .*zero-plugin\.mjs/);
});

t.test('namesEngineFile: an installed engine under node_modules is the engine; a package below it is not', async (t) => {
  const root = '/app/node_modules/@engine/engine';
  t.ok(namesEngineFile(`Error: x\n    at runStep (${root}/dist/engine.cjs:10:5)`, root));
  t.notOk(namesEngineFile(`Error: x\n    at f (${root}/node_modules/yaml/dist/index.js:1:1)`, root), "a dependency's frame alone is not the engine's");
  t.notOk(namesEngineFile('Error: ENOENT: no such file', root), 'no frame at all');
  t.notOk(namesEngineFile(`Error: x\n    at f (/app/node_modules/@engine/engine-plugin/x.js:1:1)`, root), 'a sibling package whose name begins the same');
});

// The same review: a plugin promise that never settles while the plugin holds a handle open
// (an interval) kept Node's loop alive, so the stall was never seen: validate, doctor and run
// hung for good (run ignored the first SIGTERM, waiting on the hook). Each promise of a
// plugin's has ENGINE_PLUGIN_SETTLE_S (120 s by default) to settle.
t.test('a plugin promise that never settles while it holds a handle open: refused after ENGINE_PLUGIN_SETTLE_S, never a hang', async (t) => {
  const f = makeFixture({ pipeline: (p) => (p.workers.reviewer = { use: './held-plugin.mjs' }) });
  const env = { ENGINE_PLUGIN_SETTLE_S: '1', ENGINE_EXIT_GRACE_S: '0.2' };
  writeFileSync(path.join(f.dir, 'held-plugin.mjs'), `setInterval(() => {}, 1000);\nawait new Promise(() => {});\n${echo}`);
  const v = engine(['validate', f.pipelineFile], { cwd: f.dir, env });
  t.equal(v.signal, null, 'validate ended on its own');
  t.equal(v.code, 2, v.stderr);
  t.match(v.stderr, /E_PLUGIN_INVALID .*held-plugin\.mjs.*its module's top level: its promise did not settle in 1 s/);
  writeFileSync(path.join(f.dir, 'held-plugin.mjs'), echo.replace("async detectVersion() {\n    return '1.0.0';", "detectVersion() {\n    setInterval(() => {}, 1000);\n    return new Promise(() => {});"));
  t.not(readFileSync(path.join(f.dir, 'held-plugin.mjs'), 'utf8'), echo, 'the plugin was changed');
  // A version the plugin never gives is none: doctor and run go on without it, and end.
  const d = engine(['doctor', f.pipelineFile, '--repo', f.repo, '--policy', f.policyFile], { cwd: f.dir, env });
  t.equal(d.signal, null, 'doctor ended on its own');
  t.not(d.code, 70, `${d.stdout}${d.stderr}`);
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--no-progress'], { cwd: f.dir, env });
  t.equal(r.signal, null, 'the run ended on its own');
  t.equal(r.code, 0, r.stderr);
});
