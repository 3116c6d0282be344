import t from 'tap';
import { compareVersions, judgeCliVersion } from '../../engine/doctor/known-clis.js';
import { checkNode } from '../../engine/doctor/check-host.js';
import { programsOf } from '../../engine/doctor/check-verification.js';
import { dialectOf, fingerprintWorkers, gatherWorkerFacts, judgeWorker, type WorkerFacts } from '../../engine/doctor/check-workers.js';
import type { CompiledPipeline } from '../../engine/compile/ir.js';
import { builtinWorker } from '../../engine/workers/builtin-workers.js';

// The version ranges are the plugins' own facts (engine/workers/*-worker.ts `cli`).
const cliOf = (name: string) => builtinWorker(name)!.cli!;

t.test('compareVersions', async (t) => {
  t.equal(compareVersions('0.169.0', '0.44.0'), 1);
  t.equal(compareVersions('0.44.0', '0.44.0'), 0);
  t.equal(compareVersions('1.0.0-beta.1', '1.0.0'), -1);
  t.equal(compareVersions('2.1.197', '3.0.0'), -1);
});

t.test('a CLI version maps to the dialect its output has, or to drift', async (t) => {
  const cases: [cli: 'codex' | 'claude', version: string, status: string, dialect: string | null][] = [
    ['codex', '0.169.0', 'ok', 'codex-exec-json'],
    ['codex', '0.50.0', 'ok', 'codex-exec-json'],
    ['codex', '0.42.1', 'ok', 'codex-exec-json-experimental'],
    ['codex', '0.30.0', 'ok', 'codex-legacy'],
    ['codex', '0.200.0', 'warn', 'codex-exec-json'],
    ['codex', '1.0.0', 'block', null],
    ['claude', '2.1.197', 'ok', 'claude-stream-json'],
    ['claude', '1.0.30', 'ok', 'claude-stream-json'],
    ['claude', '2.5.0', 'warn', 'claude-stream-json'],
    ['claude', '3.0.0', 'block', null],
    ['claude', '0.2.9', 'block', null],
  ];
  for (const [cli, version, status, dialect] of cases) t.match(judgeCliVersion(cli, cliOf(cli), version), { status, dialect }, `${cli} ${version}`);
  const drift = judgeCliVersion('claude', cliOf('claude'), '3.0.0');
  t.match(drift.message, /outside the versions whose output the engine can parse \(1\.0\.0 to below 3\.0\.0: claude-stream-json\)/, 'names the known versions');
  t.match(drift.hint, /@anthropic-ai\/claude-code@2\.1\.197/, 'says which version to pin');
  t.match(judgeCliVersion('codex', cliOf('codex'), '0.200.0').hint, /engine doctor --live/);
});

t.test('node 20 or later', async (t) => {
  t.equal(checkNode('20.0.0').status, 'ok');
  t.equal(checkNode('v22.3.1').status, 'ok');
  t.match(checkNode('18.19.0'), { status: 'block', message: /older than the engine needs/ });
});

t.test('the programs a verification command starts', async (t) => {
  const cases: [string, string[]][] = [
    ['npm test', ['npm']],
    ['CI=1 npx tap && node check.js', ['npx', 'node']],
    ['test -f README.md', []],
    ['echo "a && b"; true', []],
    ['make lint 2>&1 | tee out.log', ['make', 'tee']],
    ['./scripts/verify.sh --fast', ['./scripts/verify.sh']],
    ['$RUNNER go', []],
    ['cd sub && cargo test || exit 3', ['cargo']],
  ];
  for (const [command, programs] of cases) t.same(programsOf(command), programs, command);
});

const base: WorkerFacts = { name: 'planner', use: 'claude', pluginError: null, bin: '/p/claude', binFromSpec: false, binError: null, binPath: '/p/claude', version: '2.1.197', cli: cliOf('claude'), dialect: null, summary: 'drives the claude CLI', probe: true, repoFileArgs: [] };

t.test('judging a worker from its facts', async (t) => {
  t.match(judgeWorker(base), { id: 'worker.planner', status: 'ok', message: /claude 2\.1\.197, dialect claude-stream-json \(verified\) at \/p\/claude/ });
  t.match(judgeWorker({ ...base, pluginError: 'unknown worker plugin "clod"' }), { status: 'block', message: /unknown worker plugin "clod"/ });
  t.match(judgeWorker({ ...base, bin: '/x/claude', binFromSpec: true, binPath: null, version: null }), { status: 'block', message: 'worker planner (claude): bin /x/claude not found', hint: /fix workers\.planner\.bin/ });
  t.match(judgeWorker({ ...base, bin: 'claude', binPath: null, version: null }), {
    status: 'block',
    message: 'worker planner (claude): the claude CLI is not installed (looked in node_modules/.bin of the repo, of the current directory and of the engine package, and on PATH)',
    hint: 'run `npm i -D @anthropic-ai/claude-code@2.1.197` in your project (or `npm i -g @anthropic-ai/claude-code@2.1.197`), or set workers.planner.bin to the path of a claude CLI',
  });
  t.match(judgeWorker({ ...base, use: 'codex', cli: cliOf('codex'), bin: 'codex', binPath: null, version: null }), { hint: /^run `npm i -D @openai\/codex@0\.169\.0` in your project \(or `npm i -g @openai\/codex@0\.169\.0`\)/ });
  t.match(judgeWorker({ ...base, version: null }), { status: 'block', message: /did not print a version/ });
  t.match(judgeWorker({ ...base, version: '3.1.0' }), { status: 'block', message: /contract drift/ });
  const cmd: WorkerFacts = { ...base, name: 'fake', use: 'command', bin: 'node', binPath: '/usr/bin/node', version: null, cli: null, dialect: 'command-jsonl', summary: 'runs any CLI' };
  t.match(judgeWorker(cmd), { status: 'ok', message: /dialect command-jsonl/ });
  t.equal(dialectOf(cmd), 'command-jsonl');
  t.match(judgeWorker({ ...cmd, binError: 'a command worker needs `bin`', bin: null }), { status: 'block', hint: /workers\.fake\.bin/ });
  t.same(fingerprintWorkers([base, cmd]), { planner: { plugin: 'claude', bin: 'claude', version: '2.1.197' }, fake: { plugin: 'command', bin: 'node', version: null } });
});

t.test("gathering a worker's facts takes them from its plugin", async (t) => {
  const ir = { workers: { p: { use: 'claude', bin: '/nonexistent/claude' }, r: { use: 'replay', from_run: '/nowhere' }, c: { use: 'command', bin: process.execPath, output: 'json' }, x: { use: 'clod' } } } as unknown as CompiledPipeline;
  const facts = Object.fromEntries((await gatherWorkerFacts(ir, '.', process.env, process.cwd())).map((f) => [f.name, f]));
  t.same(facts.p!.cli, cliOf('claude'), "claude's version ranges come from its plugin");
  t.match(facts.p, { binFromSpec: true, binPath: null, version: null, probe: true });
  t.match(facts.r, { cli: null, probe: false, summary: /recorded in an earlier run/ }, 'a replay worker is never probed live');
  t.match(facts.c, { cli: null, dialect: 'command-json', version: null, probe: true }, "a command's dialect comes from its output, its version is never asked");
  t.match(facts.x, { pluginError: /unknown worker plugin "clod": use one of claude, codex, command, replay/ });
  t.match(judgeWorker(facts.x!), { status: 'block', hint: /built-in plugin \(claude, codex, command, replay\)/ });
});
