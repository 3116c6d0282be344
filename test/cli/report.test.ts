import t from 'tap';
import { cpSync, lstatSync, mkdirSync, symlinkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { makeFixture, engine } from '../helpers/run-fixture.js';
import { readTimeline } from '../../engine/store/timeline.js';
import { computeKpis } from '../../engine/kpi/compute.js';

// Two real runs in one repo: r1 completes, r2 stops after two ticks (budget_exhausted).
// The event validator the report compiles is cached in a temp dir, not in the package.
const f = makeFixture();
const env = {};
const store = path.join(f.repo, '.engine', 'runs');
const startRun = (id: string, extra: string[] = []) =>
  engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', `goal of ${id}`, '--policy', f.policyFile, '--run-id', id, '--no-progress', ...extra], { cwd: f.dir });
const first = startRun('r1');
const second = startRun('r2', ['--max-ticks', '2']);
const report = (args: string[], cwd = f.dir) => engine(['report', ...args], { cwd, env });
const timelineOf = (id: string, dir = store) => readTimeline(path.join(dir, id, 'timeline.jsonl'));

t.test('the two runs exist as the tests expect', async (t) => {
  t.equal(first.code, 0, first.stderr);
  t.equal(second.code, 1, second.stderr);
  t.match(timelineOf('r2').at(-1), { type: 'run.finished', stop_reason: 'budget_exhausted' });
});

t.test('no selection and `latest`: the newest run, its milestones and KPIs', async (t) => {
  const r = report(['--repo', f.repo]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, '');
  t.match(r.stdout, `1 of 2 runs in ${store}\n`, "the store holds two; the newest is reported");
  t.match(r.stdout, /\n {2}r2 +stopped \(budget_exhausted\) +0\/2 /);
  t.notMatch(r.stdout, /\n {2}r1 /);
  t.match(r.stdout, /\nMilestones of run r2\n/);
  t.match(r.stdout, /\n {2}1 +m1 +started +– /, 'the first milestone started, never finished');
  t.match(r.stdout, /\nKPIs of run r2\n {2}KPI +value +target\n {2}milestone time median \(s\) +– +≤ 180 +–\n/);
  t.match(r.stdout, /\n {2}worker calls per milestone median +1 +≤ 2 +ok\n/);
  const latest = report(['latest'], f.repo);
  t.equal(latest.code, 0, latest.stderr);
  t.equal(latest.stdout, r.stdout, 'the store of the current directory; latest is the default');
});

t.test('run ids: each run one line, in the order given, KPIs across them', async (t) => {
  const r = report(['r2', 'r1', '--repo', f.repo]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^2 runs in .*\n\n {2}run +status +milestones +time \(s\) +calls +goal\n {2}r2 +stopped \(budget_exhausted\) +0\/2 +[\d.]+ +2 +goal of r2\n {2}r1 +completed +2\/2 +[\d.]+ +5 +goal of r1\n/);
  t.notMatch(r.stdout, /Milestones of run/);
  t.match(r.stdout, /\nKPIs across 2 runs \(milestones pooled\)\n/);
  t.match(r.stdout, /\n {2}worker calls per milestone median +2 +≤ 2 +ok\n/, 'pooled calls 2, 2, 1');
});

t.test('--all --json: one document whose numbers are the timelines\' KPIs and their pool', async (t) => {
  const r = report(['--all', '--json', '--repo', f.repo]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, '');
  const doc = JSON.parse(r.stdout);
  t.equal(doc.store, store);
  t.strictSame(doc.diagnostics, []);
  t.strictSame(doc.runs.map((x: { run_id: string }) => x.run_id), ['r1', 'r2'], 'oldest first');
  const [r1, r2] = doc.runs;
  t.match(r1, { status: 'completed', stop_reason: 'completed', goal: 'goal of r1', task_kind: 'incremental' });
  t.match(r2, { status: 'stopped', stop_reason: 'budget_exhausted', goal: 'goal of r2' });
  t.strictSame(r1.kpis, computeKpis(timelineOf('r1')));
  t.strictSame(r2.kpis, computeKpis(timelineOf('r2')));
  t.strictSame(r1.kpis, JSON.parse(readFileSync(path.join(store, 'r1', 'state.json'), 'utf8')).kpis, 'what the run itself recorded');

  // The pool, computed here by hand from the raw events of both timelines.
  const events = [...timelineOf('r1'), ...timelineOf('r2')];
  const secs = events.flatMap((e) => (e.type === 'milestone.finished' ? [e.duration_ms / 1000] : [])).sort((a, b) => a - b);
  const calls = r1.milestones.map((m: { worker_calls: number }) => m.worker_calls).concat(r2.milestones.filter((m: { status: string }) => m.status !== 'not_started').map((m: { worker_calls: number }) => m.worker_calls));
  const across = doc.across.kpis;
  t.strictSame(doc.across.run_ids, ['r1', 'r2']);
  t.equal(secs.length, 2);
  t.strictSame(across.milestone_s, { median: round((secs[0]! + secs[1]!) / 2), p90: round(secs[1]!), max: round(secs[1]!), count: 2 });
  t.strictSame(calls, [2, 2, 1]);
  t.strictSame(across.calls_per_milestone, { median: 2, p90: 2, max: 2, count: 3 });
  t.equal(across.worker_calls, r1.kpis.worker_calls + r2.kpis.worker_calls);
  t.equal(across.worker_calls, events.filter((e) => e.type === 'worker.finished').length);
  t.equal(across.milestones, 4);
  t.equal(across.milestones_done, 2);
  t.equal(across.retry_rate, 0);
  t.equal(across.total_s, round(r1.kpis.total_s + r2.kpis.total_s));
  const tier0 = events.flatMap((e) => (e.type === 'verify.finished' && e.tier === 'tier0' ? [e.duration_ms / 1000] : []));
  t.equal(across.verify_s.tier0.count, tier0.length);
  t.equal(across.verify_s.tier0.max, round(Math.max(...tier0)));
  t.strictSame(
    doc.across.rows.map((row: { name: string }) => row.name),
    ['milestone time median (s)', 'milestone time p90 (s)', 'worker calls per milestone median', 'worker calls per milestone p90', 'tier0 median (s)', 'tier0 p90 (s)', 'tier1 max (s)', 'parse failures per 100 calls', 'retry rate', 'human interventions', 'governance violations', 'bootstrap run total (s)'],
  );
  t.match(doc.across.rows[2], { value: 2, target: 2, ok: true });

  // Per milestone, from the timeline: id and goal of the plan, calls, checkpoint.
  t.match(r1.milestones, [
    { index: 1, id: 'm1', goal: 'write a', status: 'done', worker_calls: 2, attempts: 1, retried: false, checkpoint: { files: 1, added: 1, removed: 0 }, over: [] },
    { index: 2, id: 'm2', goal: 'write b', status: 'done', worker_calls: 2, checkpoint: { files: 1 } },
  ]);
  t.match(r1.run_verify, [{ tier: 'tier2', pass: true, skipped: false }]);
  t.match(r2.milestones, [{ index: 1, status: 'started', duration_s: null, worker_calls: 1 }, { index: 2, status: 'not_started' }]);
});

t.test('--html FILE: a static page with every run and KPI row; the text report still printed', async (t) => {
  const out = path.join(f.dir, 'out', 'report.html');
  const r = report(['--all', '--repo', f.repo, '--html', out]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^2 runs in /);
  t.match(r.stderr, `wrote ${out}`);
  const html = readFileSync(out, 'utf8');
  t.match(html, /^<!doctype html>/);
  t.notMatch(html, /<script|\bsrc=|url\(|https?:/i, 'no script, no external asset');
  t.notMatch(html, f.dir, 'no absolute path of the store or repo');
  for (const id of ['r1', 'r2']) t.match(html, `<tr><td><a href="#run-${id}">${id}</a></td>`);
  for (const name of ['milestone time median (s)', 'tier1 max (s)', 'retry rate', 'bootstrap run total (s)']) t.equal(html.split(`data-kpi="${name}"`).length - 1, 1, name);
  // Each run's timeline: one bar per worker call and per verification run of its timeline.
  const svgs = [...html.matchAll(/<svg class="timeline"[\s\S]*?<\/svg>/g)].map((m) => m[0]);
  t.equal(svgs.length, 2);
  ['r1', 'r2'].forEach((id, i) => {
    const events = timelineOf(id);
    t.equal(svgs[i]!.split('data-kind="worker"').length - 1, events.filter((e) => e.type === 'worker.started').length, `${id}: a bar per call`);
    t.equal(svgs[i]!.split('data-kind="verify"').length - 1, events.filter((e) => e.type === 'verify.finished').length, `${id}: a bar per verification`);
  });
  const links = [...html.matchAll(/href="([^"#][^"]*)"/g)].map((m) => decodeURIComponent(m[1]!));
  t.ok(links.some((l) => l.endsWith('/r2/memo.md')) && links.some((l) => l.endsWith('/r1/summary.md')) && links.some((l) => /\/r1\/calls\/[^/]+\/text\.md$/.test(l)) && links.some((l) => /\/r1\/verify\/.+\.log$/.test(l)), 'memo (of the stopped run), summary, transcripts, verification logs linked');
  for (const l of links) t.ok(statSync(path.resolve(path.dirname(out), l)).isFile(), `${l} is a file beside the page`);
  const json = report(['r1', '--json', '--repo', f.repo, '--html', out]);
  t.equal(json.code, 0, json.stderr);
  t.equal(JSON.parse(json.stdout).runs.length, 1, 'with --json, stdout stays one JSON document');
  t.match(readFileSync(out, 'utf8'), '<title>Engine run r1</title>', 'the file replaced');
});

t.test('an unknown run id: exit 2, named in a clear error', async (t) => {
  const r = report(['r1', 'nope', 'gone', '--repo', f.repo]);
  t.equal(r.code, 2);
  t.equal(r.stdout, '');
  t.match(r.stderr, /^engine report: error E_UNKNOWN_RUN no run "nope", "gone" in .*\/\.engine\/runs \(the newest is r2; `engine report --all --repo \S+` reports all 2\)\n$/, 'the hint keeps the store it was given: without it, it reported another');
  const json = report(['nope', '--json', '--repo', f.repo]);
  t.equal(json.code, 2);
  t.match(JSON.parse(json.stdout), { runs: [], across: null, diagnostics: [{ code: 'E_UNKNOWN_RUN', severity: 'error' }] });
});

t.test('an empty or missing store: exit 2 and how to start a run', async (t) => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'engine-report-empty-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  const r = report([], empty);
  t.equal(r.code, 2);
  t.equal(r.stdout, '');
  t.match(r.stderr, /^engine report: error E_NO_RUNS no runs in .*\/\.engine\/runs \(the directory does not exist\) \(start one with `engine run <pipeline\.yaml> --repo <your repo> --goal "…"`, or name another store with --store\)\n$/, 'outside a repository the hint names none: --repo of a plain directory would be refused');
  const named = report(['--store', path.join(empty, 'nowhere')], empty);
  t.match(named.stderr, /--repo <your repo> --goal "…" --store \S+nowhere`\)\n$/, 'with a store named too');
  const repo = path.join(empty, 'repo');
  mkdirSync(repo);
  execFileSync('git', ['init', '-q', repo]);
  t.match(report([], repo).stderr, `--repo ${repo} --goal "…"`, 'in a repository, that repository');
  mkdirSync(path.join(empty, 'store'));
  const all = report(['--all', '--store', 'store', '--json'], empty);
  t.equal(all.code, 2);
  t.match(JSON.parse(all.stdout), { diagnostics: [{ code: 'E_NO_RUNS', message: `no runs in ${path.join(empty, 'store')}` }] });
});

t.test('usage errors: --all with run ids, an unknown option', async (t) => {
  const r = report(['--all', 'r1', '--repo', f.repo]);
  t.equal(r.code, 2);
  t.match(r.stderr, /^engine report: error E_USAGE give run ids or --all, not both/);
  t.equal(report(['--bogus'], f.repo).code, 2);
  const help = report(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^usage: engine report \[<run-id>\.\.\. \| --all \| latest\] \[--repo DIR\] \[--store DIR\]\.\.\. \[--json\] \[--html FILE\] \[--baseline FILE\]\n/);
  t.match(engine(['--help'], { cwd: f.dir }).stdout, /\n {2}report +Report runs of a run store/);
});

t.test('damaged runs: a missing timeline, a broken line, a stray directory; never a stack trace', async (t) => {
  const copy = path.join(f.dir, 'damaged-store');
  cpSync(store, copy, { recursive: true });
  rmSync(path.join(copy, 'r2', 'timeline.jsonl'));
  const lines = readFileSync(path.join(copy, 'r1', 'timeline.jsonl'), 'utf8').split('\n');
  lines[4] = '{"seq": 5, "type": "worker.finished"}';
  lines[6] = 'this is not JSON';
  writeFileSync(path.join(copy, 'r1', 'timeline.jsonl'), lines.join('\n') + '{"seq": 99, "ty');
  mkdirSync(path.join(copy, 'not-a-run'));
  const r = report(['--all', '--store', copy, '--repo', f.repo]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /^engine report: warning W_RUN_RECORD run r1: timeline\.jsonl: left out line 5 \(not a valid "worker\.finished" event\), line 7 \(not JSON\); the KPIs of this run cover the other \d+ events\n/);
  t.match(r.stderr, /\nengine report: warning W_RUN_RECORD run r2: it has no timeline\.jsonl; no KPIs for this run\n/);
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  t.match(r.stdout, /\n {2}r2 +stopped \(budget_exhausted\) +\? +– +– +goal of r2\n/);
  t.match(r.stdout, /\nKPIs across 1 runs \(milestones pooled; 1 without a timeline left out\)\n/);
  const doc = JSON.parse(report(['--all', '--store', copy, '--repo', f.repo, '--json']).stdout);
  t.equal(doc.runs[1].kpis, null);
  t.strictSame(doc.runs[0].kpis, computeKpis(timelineOf('r1').filter((_, i) => i !== 4 && i !== 6)), 'the KPIs of the lines that are left');
  t.strictSame(doc.diagnostics.map((d: { code: string; severity: string }) => `${d.severity} ${d.code}`), ['warning W_RUN_RECORD', 'warning W_RUN_RECORD']);
});

t.test('the targets are the repo policy\'s kpi_targets; a broken policy is reported', async (t) => {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'engine-report-policy-'));
  t.teardown(() => rmSync(repo, { recursive: true, force: true }));
  mkdirSync(path.join(repo, '.engine'));
  writeFileSync(path.join(repo, '.engine', 'policy.yaml'), 'apiVersion: engine/v1\nkind: Policy\nkpi_targets:\n  calls_median: 1\n');
  const r = report(['r1', '--repo', repo, '--store', store, '--json']);
  t.equal(r.code, 0, r.stderr);
  t.match(JSON.parse(r.stdout).across.rows[2], { name: 'worker calls per milestone median', value: 2, target: 1, ok: false });
  writeFileSync(path.join(repo, '.engine', 'policy.yaml'), 'apiVersion: engine/v1\nkind: Policy\nkpi_targets:\n  calls_medain: 1\n');
  const bad = report(['r1', '--repo', repo, '--store', store]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /\.engine\/policy\.yaml:4:3: error E_UNKNOWN_KEY .*calls_medain/);
});

t.test('an --html file that cannot be written: exit 2, E_FILE', async (t) => {
  const r = report(['--repo', f.repo, '--html', f.dir]);
  t.equal(r.code, 2);
  t.equal(r.stderr, `engine report: error E_FILE cannot write ${f.dir}: it is a directory\n`);
  t.equal(r.stdout, '');
  t.notOk(readdirSync(path.dirname(f.dir)).some((name) => name.startsWith(`.${path.basename(f.dir)}.`)), 'no temp file left beside it');
  const blocked = path.join(f.dir, 'README-as-dir', 'report.html');
  writeFileSync(path.join(f.dir, 'README-as-dir'), 'a file where a directory should be');
  const r2 = report(['--repo', f.repo, '--html', blocked]);
  t.equal(r2.code, 2);
  // In words, not a raw errno (a new user's probe was told only "ENOTDIR").
  t.match(r2.stderr, /^engine report: error E_FILE cannot write .*report\.html: (a part of the path is a file, not a directory|already exists)( \(at [^)]*\))?\n$/);
});

t.test('an --html that names a FIFO, a device or a link to one is refused, and left as it was: it was renamed over (as root, --html /dev/full replaced the device)', async (t) => {
  const fifo = path.join(f.dir, 'page.fifo');
  execFileSync('mkfifo', [fifo]);
  const link = path.join(f.dir, 'null-link.html');
  symlinkSync('/dev/null', link);
  for (const [target, what] of [[fifo, 'a FIFO'], [link, 'a device']] as const) {
    const r = report(['--repo', f.repo, '--html', target]);
    t.equal(r.code, 2, target);
    t.equal(r.stderr, `engine report: error E_FILE cannot write ${target}: it is ${what}, not a regular file (name a file of its own)\n`);
    t.equal(r.stdout, '');
  }
  t.ok(lstatSync(fifo).isFIFO(), 'the FIFO is still there');
  t.ok(lstatSync(link).isSymbolicLink(), 'the link is still there');
});

t.test('--html through a link writes the file it leads to and keeps the link, as --baseline does; a link to nothing or to a directory is refused, nothing replaced', async (t) => {
  const shared = path.join(f.dir, 'shared');
  mkdirSync(shared, { recursive: true });
  const target = path.join(shared, 'page.html');
  writeFileSync(target, 'old page');
  const link = path.join(f.dir, 'page-link.html');
  symlinkSync('shared/page.html', link);
  const r = report(['--repo', f.repo, '--html', link]);
  t.equal(r.code, 0, r.stderr);
  t.ok(lstatSync(link).isSymbolicLink(), 'the link is kept');
  t.match(readFileSync(target, 'utf8'), /^<!doctype html>/, 'the file it leads to holds the page');
  const dangling = path.join(f.dir, 'dangling.html');
  symlinkSync('nowhere/page.html', dangling);
  const toDir = path.join(f.dir, 'dir-link.html');
  symlinkSync('shared', toDir);
  for (const [name, said] of [[dangling, 'it is a link to nothing (nowhere/page.html): name a file of its own or make the file it leads to'], [toDir, 'it is a directory']] as const) {
    const refused = report(['--repo', f.repo, '--html', name]);
    t.equal(refused.code, 2, name);
    t.equal(refused.stderr, `engine report: error E_FILE cannot write ${name}: ${said}\n`);
    t.equal(refused.stdout, '');
    t.ok(lstatSync(name).isSymbolicLink(), `${name}: the link is still there`);
  }
  t.notOk(readdirSync(f.dir).includes('nowhere'), 'nothing made where the dangling link leads');
  t.same(readdirSync(shared), ['page.html'], 'nothing left in the linked directory');
});

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
