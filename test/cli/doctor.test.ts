import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { engine, makeFixture } from '../helpers/run-fixture.js';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';

// `engine doctor` as a user runs it: a real engine process against real git repos.

function fixture(t: { teardown(fn: () => void): void }, opts: Parameters<typeof makeFixture>[0] = {}) {
  const f = makeFixture(opts);
  t.teardown(() => rmSync(f.dir, { recursive: true, force: true }));
  return f;
}

function repoPolicy(repo: string, tier0: string[]): void {
  mkdirSync(path.join(repo, '.engine'), { recursive: true });
  writeFileSync(path.join(repo, '.engine', 'policy.yaml'), stringify({ apiVersion: 'engine/v1', kind: 'Policy', verification: { tiers: { tier0: { commands: tier0 } } } }));
}

const statusOf = (stdout: string, id: string): string | undefined => stdout.split('\n').find((l) => l.split(/\s+/)[1] === id)?.split(/\s+/)[0];

t.test('a git repo with the shipped pipeline and the pinned CLIs: nothing blocks', async (t) => {
  const f = fixture(t);
  const r = engine(['doctor', '--repo', f.repo], { cwd: f.dir });
  t.equal(r.code, 0, r.stdout + r.stderr);
  for (const id of ['node', 'git', 'repo', 'store', 'pipeline', 'policy', 'worker.planner', 'worker.implementer', 'worker.reviewer']) t.equal(statusOf(r.stdout, id), 'ok', id);
  t.match(r.stdout, /default\.pipeline\.yaml compiles/, 'the shipped pipeline is the default');
  t.match(r.stdout, /worker implementer \(codex\): codex \d+\.\d+\.\d+, dialect codex-exec-json/);
  t.equal(statusOf(r.stdout, 'verify.tier0'), 'warn', 'tier0 without commands proves nothing');
  // Nothing blocks; without a login here, the verdict says a run would stop on it all the same.
  const verdict = r.stdout.trimEnd().split('\n').pop()!;
  t.match(verdict, /^doctor: ok with \d warnings? \(.*verify\.tier0.*\); /);
  if (/login\./.test(verdict)) t.match(verdict, /a run would stop doctor_blocked \(exit 4\) before its first call, unless it runs a scenario/);
  else t.match(verdict, /nothing blocks a run$/);
});

t.test("the repo's own .engine/pipeline.yaml is the default, and a clean setup is all ok", async (t) => {
  const f = fixture(t);
  mkdirSync(path.join(f.repo, '.engine'), { recursive: true });
  writeFileSync(path.join(f.repo, '.engine', 'pipeline.yaml'), readFileSync(f.pipelineFile));
  repoPolicy(f.repo, ['node --version', 'test -f README.md']);
  writeFileSync(path.join(f.repo, '.git', 'info', 'exclude'), '/.engine/\n');
  const r = engine(['doctor'], { cwd: f.repo });
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, /\.engine\/pipeline\.yaml compiles/);
  t.match(r.stdout, /ok +worker\.planner +worker planner \(command\): runs any CLI.*; \/bin\/sh \(dialect command-text\)/);
  t.match(r.stdout, /ok +verify\.tier0 +tier0: 2 commands \(node found\)/);
  t.match(r.stdout, /doctor: ok \(\d+ checks\)\n$/);
});

t.test('a worker whose bin does not exist blocks, naming the worker and the bin', async (t) => {
  const f = fixture(t, { pipeline: (p) => (p.workers.reviewer = { use: 'claude', bin: '/nonexistent/bin/claude' }) });
  const r = engine(['doctor', f.pipelineFile, '--repo', f.repo], { cwd: f.dir });
  t.equal(r.code, 4, r.stdout + r.stderr);
  t.match(r.stdout, /^block +worker\.reviewer +worker reviewer \(claude\): bin \/nonexistent\/bin\/claude not found \(hint: fix workers\.reviewer\.bin/m);
  t.equal(statusOf(r.stdout, 'worker.planner'), 'ok', 'the other workers are still checked');
  t.match(r.stdout, /doctor: blocked by 1 check; a run would stop doctor_blocked \(exit 4\) \(worker\.reviewer\)/);
});

t.test('a verification command whose program is missing blocks', async (t) => {
  const f = fixture(t);
  repoPolicy(f.repo, ['node --version', 'no-such-tool-4711 --check']);
  const r = engine(['doctor', f.pipelineFile, '--repo', f.repo], { cwd: f.dir });
  t.equal(r.code, 4, r.stdout + r.stderr);
  t.match(r.stdout, /^block +verify\.tier0 +tier0: `no-such-tool-4711` \(in `no-such-tool-4711 --check`\) not found/m);
});

t.test('--json prints one document', async (t) => {
  const f = fixture(t, { pipeline: (p) => (p.workers.implementer = { use: 'command', bin: './missing-agent.sh' }) });
  const r = engine(['doctor', f.pipelineFile, '--repo', f.repo, '--json'], { cwd: f.dir });
  t.equal(r.code, 4, r.stderr);
  const doc = JSON.parse(r.stdout);
  t.match(doc, { verdict: 'block', exit_code: 4, repo: f.repo, pipeline: f.pipelineFile, live: false, probe_dir: null, diagnostics: [] });
  const byId = Object.fromEntries(doc.checks.map((c: any) => [c.id, c]));
  t.match(byId['worker.implementer'], { status: 'block', message: /\.\/missing-agent\.sh not found/, hint: /workers\.implementer\.bin/ });
  t.match(byId['worker.planner'], { status: 'ok', hint: null, details: [] });
  t.match(doc.workers.planner, { plugin: 'command', bin: '/bin/sh', version: null, dialect: 'command-text' });
  for (const c of doc.checks) t.ok(['ok', 'warn', 'block'].includes(c.status) && typeof c.message === 'string', c.id);
});

t.test('a pipeline with errors: the report with its diagnostics, exit 2 (invalid input)', async (t) => {
  const f = fixture(t);
  const p = parse(readFileSync(f.pipelineFile, 'utf8'));
  p.stpes = [];
  writeFileSync(f.pipelineFile, stringify(p));
  const r = engine(['doctor', f.pipelineFile, '--repo', f.repo], { cwd: f.dir });
  t.equal(r.code, 2, r.stdout + r.stderr);
  t.match(r.stdout, /^block +pipeline +.*test\.pipeline\.yaml does not load: \d+ errors? \(hint: fix the file/m);
  t.match(r.stdout, /test\.pipeline\.yaml:\d+:\d+: error E_UNKNOWN_KEY /, 'the diagnostics, with positions');
  t.notMatch(r.stdout, /worker\.planner/, 'no worker checks without a compiled pipeline');
  const json = JSON.parse(engine(['doctor', f.pipelineFile, '--repo', f.repo, '--json'], { cwd: f.dir }).stdout);
  t.ok(json.diagnostics.some((d: any) => d.code === 'E_UNKNOWN_KEY' && d.line > 0), 'the diagnostics as data');
  p.steps[1].worker = 'plannr';
  delete p.stpes;
  writeFileSync(f.pipelineFile, stringify(p));
  const rule = engine(['doctor', f.pipelineFile, '--repo', f.repo], { cwd: f.dir });
  t.equal(rule.code, 2);
  t.match(rule.stdout, /test\.pipeline\.yaml:\d+:\d+: error E_UNKNOWN_WORKER .*plannr/, 'a rule violation too');
});

t.test('a directory that is not a git repo blocks and says what engine run does', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-doctor-nogit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = engine(['doctor', '--repo', dir, '--json'], { cwd: dir, env: { GIT_CEILING_DIRECTORIES: path.dirname(dir) } });
  t.equal(r.code, 4, r.stderr);
  const repo = JSON.parse(r.stdout).checks.find((c: any) => c.id === 'repo');
  t.match(repo, { status: 'block', message: /not a git repository.*`engine run` refuses it/, hint: /git init/ });
});

t.test('unreadable input is a usage error (exit 2), never a stack trace', async (t) => {
  const f = fixture(t);
  const missing = engine(['doctor', 'nope.pipeline.yaml', '--repo', f.repo], { cwd: f.dir });
  t.equal(missing.code, 2);
  t.match(missing.stderr, /^nope\.pipeline\.yaml: error E_FILE cannot read nope\.pipeline\.yaml: no such file$/m);
  // A directory was told "no such file", which it is not (validate and run say what it is).
  mkdirSync(path.join(f.dir, 'adir.pipeline.yaml'));
  const asDir = engine(['doctor', 'adir.pipeline.yaml', '--repo', f.repo], { cwd: f.dir });
  t.equal(asDir.code, 2);
  t.match(asDir.stderr, /^adir\.pipeline\.yaml: error E_FILE cannot read adir\.pipeline\.yaml: it is a directory, not a file$/m);
  const noRepo = engine(['doctor', '--repo', path.join(f.dir, 'absent'), '--json'], { cwd: f.dir });
  t.equal(noRepo.code, 2);
  t.match(JSON.parse(noRepo.stdout), { verdict: 'invalid', exit_code: 2, diagnostics: [{ code: 'E_FILE' }] });
  const extra = engine(['doctor', 'a.yaml', 'b.yaml'], { cwd: f.dir });
  t.equal(extra.code, 2);
  t.match(extra.stderr, /E_USAGE unexpected argument "b\.yaml"/);
  for (const r of [missing, noRepo, extra]) t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

t.test('--help documents the options', async (t) => {
  const io = memoryIo();
  t.equal(await main(['doctor', '--help'], io), 0);
  const help = io.out.join('');
  t.match(help, /usage: engine doctor \[<pipeline\.yaml>\] \[--repo DIR\] \[--policy FILE\]\.\.\. \[--set KEY=VALUE\]\.\.\. \[--live\] \[--json\]/);
  for (const o of ['--repo', '--policy', '--set', '--live', '--json']) t.match(help, o);
  const overview = memoryIo();
  await main(['--help'], overview);
  t.match(overview.out.join(''), /\n {2}doctor +Check node, git/);
});

// A new user's probe: an error in the user's own policy layer ($XDG_CONFIG_HOME/engine/policy.yaml)
// was reported at its line, but the hint said to fix .engine/policy.yaml.
t.test("an error in the user's policy layer: doctor's hint names that file", async (t) => {
  const f = makeFixture();
  const xdg = path.join(f.dir, 'xdg');
  mkdirSync(path.join(xdg, 'engine'), { recursive: true });
  const userPolicy = path.join(xdg, 'engine', 'policy.yaml');
  writeFileSync(userPolicy, 'apiVersion: engine/v1\nkind: Policy\nbudgets:\n  max_ticks: "lots"\n');
  const io = memoryIo({ cwd: f.repo, env: { ...process.env, XDG_CONFIG_HOME: xdg } });
  t.equal(await main(['doctor', f.pipelineFile, '--repo', f.repo], io), 2, io.out.join('') + io.err.join(''));
  const out = io.out.join('');
  t.match(out, /^block +policy +the merged policy does not resolve \(hint: fix [^)]*xdg\/engine\/policy\.yaml/m);
  t.notMatch(out, /hint: fix \.engine\/policy\.yaml/);
});

// A new user's probe: `engine run --policy ci.yaml` stopped doctor_blocked on a verification
// command that ci.yaml added, and `engine doctor` could not be given that file to see it.
t.test('--policy and --set: doctor judges the policy a run given the same layers would have', async (t) => {
  const f = fixture(t);
  const extra = path.join(f.dir, 'ci policy.yaml');
  writeFileSync(extra, stringify({ apiVersion: 'engine/v1', kind: 'Policy', verification: { tiers: { tier0: { commands: ['no-such-tool-4711 --check'] } } } }));
  const plain = engine(['doctor', f.pipelineFile, '--repo', f.repo], { cwd: f.dir });
  t.equal(statusOf(plain.stdout, 'verify.tier0'), 'warn', 'without the layer: no commands, a warning');
  const layered = engine(['doctor', f.pipelineFile, '--repo', f.repo, '--policy', extra], { cwd: f.dir });
  t.equal(layered.code, 4, layered.stdout + layered.stderr);
  t.match(layered.stdout, /^block +verify\.tier0 +tier0: `no-such-tool-4711` \(in `no-such-tool-4711 --check`\) not found/m);
  t.match(layered.stdout, /^ok +policy +policy sha256:[0-9a-f]+ \(defaults < .*ci policy\.yaml\)/m, 'the layer is named');
  const set = engine(['doctor', f.pipelineFile, '--repo', f.repo, '--policy', extra, '--set', 'verification.tiers.tier0.commands=["node --version"]'], { cwd: f.dir });
  t.equal(statusOf(set.stdout, 'verify.tier0'), 'ok', 'a --set over the file wins, as in a run');
  const bad = engine(['doctor', f.pipelineFile, '--repo', f.repo, '--policy', extra, '--set', 'budgets.max_ticks=lots'], { cwd: f.dir });
  t.equal(bad.code, 2, bad.stdout + bad.stderr);
  t.match(bad.stdout, /^block +policy +the merged policy does not resolve \(hint: fix --set \(`engine policy --repo \S+ --policy '[^']*ci policy\.yaml' --set budgets\.max_ticks=lots` shows the same diagnostics\)\)/m, 'the hint repeats the layers, quoted for the shell');
});
