import t from 'tap';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { shardOf } from '../../engine/suite/shard-suite.js';
import { bareNode, childEnv, engine, engineBin, engineHere, readJsonl } from '../helpers/run-fixture.js';

// Sharding for real: the same suite run once in one process and as 3 shards in 3 parallel
// processes (each with its own store), then `engine report` pooling the 3 stores. Fast tasks:
// a deterministic command worker, three that complete and one whose implementer never
// answers in markers (its repair writes the wrong file, so verification fails: parse
// failures, retries and failed tier0 runs in the KPIs).
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-shard-test-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// A shell, a sed and a grep per call: a node agent cost some 70 ms of CPU a call.
const AGENT = String.raw`
export LC_ALL=C
prompt=$(cat)
phase=$(printf '%s\n' "$prompt" | sed -n 's/^engine-phase: //p' | tail -n 1 | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
word=$(printf '%s\n' "$prompt" | grep -o 'WRITE:[a-z][a-z]*' | head -n 1 | cut -d: -f2)
[ -n "$word" ] || word=none
file="src/$word.txt"
markers=undefined
case "$phase" in
  explore) markers='{"info_needs":[],"assumptions":[],"files_expected":[]}' ;;
  plan) markers='{"milestones":[{"id":"m1","goal":"WRITE:'"$word"'","files_expected":["'"$file"'"],"done_checks":[],"risk_level":"low"}],"assumptions":[]}' ;;
  implement|repair)
    if [ "$word" = garbage ]; then printf 'no block today\n'; exit 0; fi
    mkdir -p src
    printf '%s\n' "$word" > "$file"
    markers='{"status":"done","summary":"wrote '"$file"'","files_changed":["'"$file"'"],"commands_run":[],"needs":null}' ;;
  review) markers='{"verdict":"approve","changes":[]}' ;;
esac
printf 'BEGIN_MARKERS\n%s\nEND_MARKERS\n' "$markers"
`;

const words = ['alpha', 'beta', 'gamma', 'garbage'];
writeFileSync(path.join(dir, 'agent.sh'), AGENT);
const pipeline = parse(readFileSync(path.join(root, 'pipelines', 'default.pipeline.yaml'), 'utf8'));
const worker = { use: 'command', bin: '/bin/sh', args: [path.join(dir, 'agent.sh')], idle_timeout_s: 20, timeout_s: 60 };
pipeline.workers = { planner: worker, implementer: worker, reviewer: worker };
writeFileSync(path.join(dir, 'fast.pipeline.yaml'), stringify(pipeline));
mkdirSync(path.join(dir, 'tasks'));
for (const word of words) {
  const expect = word === 'garbage' ? 'parse_failed' : 'completed';
  writeFileSync(path.join(dir, 'tasks', `${word}.task.yaml`), stringify({ apiVersion: 'engine/v1', kind: 'Task', name: word, goal: `WRITE:${word}`, task_kind: 'incremental', expect }));
  const policy = { apiVersion: 'engine/v1', kind: 'Policy', auto_approve: { enabled: false }, verification: { tiers: { tier0: { commands: [`test -f src/${word}.txt`] } } } };
  writeFileSync(path.join(dir, 'tasks', `${word}.policy.yaml`), stringify(policy));
}
const REPEAT = 2;
const suiteArgs = (store: string, shard?: string) => ['suite', 'tasks', '--repeat', String(REPEAT), '--pipeline', 'fast.pipeline.yaml', '--store', store, '--json', ...(shard ? ['--shard', shard] : [])];

/** `engine` as a child process that runs alongside others. */
function engineAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/env', [...bareNode, engineBin, ...args], { cwd: dir, env: childEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

type SuiteDoc = { base: string; store: string; shard: string | null; passed: number; failed: number; tasks: { task: string; path: string; repeats: number[]; runs: { repeat: number; run_id: string; ended: string }[]; determinism: { differences: string[] }; ok: boolean }[] };
type Stat = { count: number; median: number | null; p90: number | null; max: number | null };

t.test('3 shards in parallel give the same pooled KPIs as one process', async (t) => {
  // The one process and the 3 shards all at once: they share nothing but the task files.
  const [single, ...shards] = await Promise.all([engineAsync(suiteArgs('single')), ...[1, 2, 3].map((k) => engineAsync(suiteArgs(`shard-${k}`, `${k}/3`)))]);
  t.equal(single!.code, 0, single!.stderr);
  const one: SuiteDoc = JSON.parse(single!.stdout);
  t.teardown(() => rmSync(one.base, { recursive: true, force: true }));
  t.equal(one.passed, words.length);
  t.equal(one.store, path.join(dir, 'single'), 'every run in the named store');

  const docs: SuiteDoc[] = shards.map((r, i) => {
    t.equal(r.code, 0, `shard ${i + 1}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  });
  for (const d of docs) t.teardown(() => rmSync(d.base, { recursive: true, force: true }));

  // Every task × repeat ran in exactly one shard: the one its hash names.
  const ran = docs.flatMap((d, i) => d.tasks.flatMap((task) => task.runs.map((run) => ({ key: `${task.path}#${run.repeat}`, shard: i + 1, path: task.path, repeat: run.repeat }))));
  t.same(ran.map((r) => r.key).sort(), one.tasks.flatMap((task) => [1, 2].map((r) => `${task.path}#${r}`)).sort(), 'each task × repeat once across the shards');
  for (const r of ran) t.equal(r.shard, shardOf(r.path, r.repeat, 3), `${r.key} ran in its shard`);
  t.ok(docs.every((d, i) => d.shard === `${i + 1}/3`));
  t.ok(docs.every((d) => d.tasks.every((task) => task.ok && task.determinism.differences.length === 0)), 'each shard judged its own repeats identical');

  // Each store says which task, repeat and shard each of its runs was: the data a pooled
  // determinism check groups by.
  const lines = [1, 2, 3].flatMap((k) => readJsonl(path.join(dir, `shard-${k}`, 'suite.jsonl')).map((l) => ({ ...l, k })));
  t.equal(lines.length, words.length * REPEAT);
  for (const l of lines) t.equal(l.shard, `${l.k}/3`);
  t.same(lines.map((l) => `${l.path}#${l.repeat}`).sort(), ran.map((r) => r.key).sort());
  t.same(lines.map((l) => l.run_id).sort(), docs.flatMap((d) => d.tasks.flatMap((task) => task.runs.map((run) => run.run_id))).sort());
  t.ok(readJsonl(path.join(dir, 'single', 'suite.jsonl')).every((l) => l.shard === null));

  // Reports pool what the suites wrote: the CLI kernel in this process reads them.
  const report = (stores: string[]) => engineHere(['report', '--all', ...stores.flatMap((s) => ['--store', s]), '--json'], { cwd: dir });
  const a = await report(['single']);
  const b = await report(['shard-1', 'shard-2', 'shard-3']);
  t.equal(a.code, 0, a.stderr);
  t.equal(b.code, 0, b.stderr);
  const ra = JSON.parse(a.stdout);
  const rb = JSON.parse(b.stdout);
  t.same(rb.stores, [1, 2, 3].map((k) => path.join(dir, `shard-${k}`)));
  t.equal(rb.across.run_ids.length, words.length * REPEAT, 'every run of every store pooled');
  t.equal(ra.across.run_ids.length, rb.across.run_ids.length);
  t.ok(rb.runs.every((r: { run_id: string; store: string }) => lines.find((l) => l.run_id === r.run_id)?.k === Number(/shard-(\d)$/.exec(r.store)![1])), 'each run names its store');

  // Counts equal exactly; times (the one thing that differs between the two) within noise.
  const ka = ra.across.kpis;
  const kb = rb.across.kpis;
  const counts = ['milestones', 'milestones_done', 'worker_calls', 'parse_failures', 'parse_failures_per_100', 'retried_milestones', 'retry_rate', 'human_interventions', 'governance_violations', 'secrets_scrubbed', 'diff_files', 'diff_loc', 'review_skips', 'calls_per_milestone', 'tokens', 'cost_usd'];
  for (const key of counts) t.same(kb[key], ka[key], `${key} equal`);
  t.ok(ka.worker_calls >= words.length * REPEAT * 3 && ka.parse_failures > 0 && ka.retried_milestones > 0, `a real workload: ${ka.worker_calls} calls, ${ka.parse_failures} parse failures`);
  const close = (x: number | null, y: number | null) => (x === null ? y === null : y !== null && Math.abs(x - y) <= Math.max(5, 3 * Math.max(x, y)));
  const sameStat = (name: string, x: Stat, y: Stat) => {
    t.equal(y.count, x.count, `${name}: as many samples`);
    t.ok(x.count > 0, `${name}: ${x.count} samples`);
    for (const f of ['median', 'p90', 'max'] as const) t.ok(close(x[f], y[f]), `${name} ${f}: ${x[f]} vs ${y[f]}`);
  };
  sameStat('milestone_s', ka.milestone_s, kb.milestone_s);
  t.ok(close(ka.total_s, kb.total_s), `total step time: ${ka.total_s} vs ${kb.total_s}`);
  t.same(Object.keys(kb.verify_s), Object.keys(ka.verify_s), 'the same tiers ran');
  for (const tier of Object.keys(ka.verify_s)) sameStat(`verify_s.${tier}`, ka.verify_s[tier], kb.verify_s[tier]);
  t.same(
    rb.across.rows.map((r: { kpi: string }) => r.kpi),
    ra.across.rows.map((r: { kpi: string }) => r.kpi),
    'the same KPI rows against the same targets',
  );

  // Pooling is exact: the 3 stores report what one store holding all their runs reports.
  const merged = path.join(dir, 'merged');
  mkdirSync(merged);
  for (const k of [1, 2, 3]) for (const d of readdirSync(path.join(dir, `shard-${k}`), { withFileTypes: true })) if (d.isDirectory()) cpSync(path.join(dir, `shard-${k}`, d.name), path.join(merged, d.name), { recursive: true });
  const rm = JSON.parse((await report(['merged'])).stdout);
  t.strictSame(rm.across, rb.across, 'pooled across = one store of the same runs, times included');

  // A run of one shard is found by id through the pooled stores.
  const some = lines.find((l) => l.k === 2)!;
  const byId = await engineHere(['report', some.run_id, '--store', 'shard-1', '--store', 'shard-2', '--store', 'shard-3', '--json'], { cwd: dir });
  t.equal(byId.code, 0, byId.stderr);
  t.same(JSON.parse(byId.stdout).runs.map((r: { run_id: string; store: string }) => [r.run_id, r.store]), [[some.run_id, path.join(dir, 'shard-2')]]);
  const text = await engineHere(['report', '--all', '--store', 'shard-1', '--store', 'shard-2', '--store', 'shard-3'], { cwd: dir });
  t.match(text.stdout, new RegExp(`^${words.length * REPEAT} runs in 3 stores: ${path.join(dir, 'shard-1')}, `, 'm'));

  t.test('the same run in two stores is refused, not counted twice (exit 2)', async (t) => {
    cpSync(path.join(dir, 'shard-1'), path.join(dir, 'copy-1'), { recursive: true });
    const dup = await report(['shard-1', 'shard-2', 'copy-1']);
    t.equal(dup.code, 2);
    const doc = JSON.parse(dup.stdout);
    t.equal(doc.diagnostics[0].code, 'E_DUPLICATE_RUN');
    t.match(doc.diagnostics[0].message, `in ${path.join(dir, 'shard-1')} and ${path.join(dir, 'copy-1')}`);
    t.same(doc.runs, []);
    const twice = await report(['shard-1', `./shard-1/`]);
    t.equal(twice.code, 2);
    t.match(JSON.parse(twice.stdout).diagnostics[0], { code: 'E_USAGE', message: `the store ${path.join(dir, 'shard-1')} is given twice` });
    const missing = await engineHere(['report', '--all', '--store', 'shard-1', '--store', 'no-such-store'], { cwd: dir });
    t.equal(missing.code, 2);
    t.match(missing.stderr, /E_NO_STORE no store .*no-such-store \(the directory does not exist\)/);
    mkdirSync(path.join(dir, 'empty-shard'));
    const withEmpty = await report(['shard-1', 'empty-shard']);
    t.equal(withEmpty.code, 0, 'a shard that ran nothing pools as nothing');
    t.equal(JSON.parse(withEmpty.stdout).across.run_ids.length, lines.filter((l) => l.k === 1).length);
    const blank = await engineHere(['report', '--store', ''], { cwd: dir });
    t.equal(blank.code, 2);
  });
});

t.test('a shard that owns no run of the suite runs nothing and passes (exit 0), its store made', async (t) => {
  // One task, one repeat, N large: only one shard owns it.
  const only = path.join('tasks', 'alpha.task.yaml');
  const owner = shardOf('tasks/alpha.task.yaml', 1, 7);
  const other = owner === 1 ? 2 : 1;
  const r = engine(['suite', only, '--pipeline', 'fast.pipeline.yaml', '--store', 'idle', '--shard', `${other}/7`, '--json'], { cwd: dir });
  t.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  t.teardown(() => rmSync(doc.base, { recursive: true, force: true }));
  t.same([doc.tasks, doc.passed, doc.failed, doc.shard], [[], 0, 0, `${other}/7`]);
  t.same(readdirSync(path.join(dir, 'idle')), ['suite.jsonl'], 'a store without runs, ready to upload and pool');
  t.equal(readFileSync(path.join(dir, 'idle', 'suite.jsonl'), 'utf8'), '');
  const pooled = await engineHere(['report', '--all', '--store', 'idle', '--store', 'shard-1', '--json'], { cwd: dir });
  t.equal(pooled.code, 0, pooled.stderr);
});

t.test('bad --shard and --store: exit 2 before anything runs', async (t) => {
  for (const bad of ['0/3', '4/3', 'x', '1/0']) {
    const r = await engineHere(['suite', 'tasks', '--pipeline', 'fast.pipeline.yaml', '--shard', bad], { cwd: dir });
    t.equal(r.code, 2, bad);
    t.match(r.stderr, /--shard/);
    t.notMatch(r.stderr, /scratch repos under/);
  }
  writeFileSync(path.join(dir, 'a-file'), 'x');
  const file = await engineHere(['suite', 'tasks', '--pipeline', 'fast.pipeline.yaml', '--store', 'a-file/store'], { cwd: dir });
  t.equal(file.code, 2, file.stderr);
  t.match(file.stderr, /error E_FILE cannot read the run store \S*a-file\/store: /, "said as every command says a store that cannot be one");
});
