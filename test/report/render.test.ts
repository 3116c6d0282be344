import t from 'tap';
import { buildReport, type ReportRunInput } from '../../engine/report/build-report.js';
import { renderText } from '../../engine/report/render-text.js';
import { escapeHtml, renderHtml } from '../../engine/report/render-html.js';
import { formatTable } from '../../engine/report/format-table.js';
import { buildTimeline } from '../../engine/report/build-timeline.js';
import { renderBullet, renderTimelineSvg, renderTrend, ticks } from '../../engine/report/render-svg.js';
import { relative } from '../../engine/report/render-html.js';
import { showReview } from '../../engine/report/describe-cells.js';
import { describeMilestones } from '../../engine/kpi/describe-milestones.js';
import { timeline } from '../kpi/helpers/make-events.js';
import { targets } from '../kpi/helpers/targets.js';

const events = () =>
  timeline()
    .plan([
      { id: 'm1', goal: 'write a' },
      { id: 'm2', goal: 'write b' },
    ])
    .milestone(1, { id: 'm1', ms: 2000, calls: 2, cost: 0.25, verify: [{ tier: 'tier0', ms: 300 }], checkpoint: { files: 1, added: 4, removed: 0 } })
    .milestone(2, { id: 'm2', calls: 1, parseFailures: 1 })
    .step(2500).events;

const run = (run_id: string, extra: Partial<ReportRunInput> = {}): ReportRunInput => ({
  run_id,
  status: 'stopped',
  stop_reason: 'budget_exhausted',
  goal: 'write two files',
  task_kind: 'incremental',
  created_at: '2026-01-01T00:00:00.000Z',
  events: events(),
  notes: [],
  ...extra,
});

t.test('text, one run: the run line, its milestones, its KPIs with marks', async (t) => {
  const text = renderText(buildReport({ store: '/repo/.engine/runs', runs: [run('r1')], targets }));
  t.equal(
    text,
    [
      '1 run in /repo/.engine/runs',
      '',
      '  run  status                      milestones  time (s)  calls  cost   goal',
      '  r1   stopped (budget_exhausted)  1/2         2.5       3      $0.25  write two files',
      '',
      'Milestones of run r1',
      '  #  id  status   time (s)  calls  attempts  retried                verification      review  checkpoint                  over target  goal',
      '  1  m1  done     2         2      1         no                     tier0 pass 0.3 s  –       1111111111 (1 file, +4 -0)  –            write a',
      '  2  m2  started  –         1      1         yes (1 parse failure)  –                 –       –                           –            write b',
      '',
      'KPIs of run r1',
      '  KPI                                value   target',
      '  milestone time median (s)          2       ≤ 180   ok',
      '  milestone time p90 (s)             2       ≤ 360   ok',
      '  worker calls per milestone median  1.5     ≤ 2     ok',
      '  worker calls per milestone p90     2       ≤ 4     ok',
      '  tier0 median (s)                   0.3     ≤ 30    ok',
      '  tier0 p90 (s)                      0.3     ≤ 60    ok',
      '  tier1 max (s)                      –       < 120   –',
      '  parse failures per 100 calls       33.333  < 1     over',
      '  retry rate                         0.5     < 0.2   over',
      '  human interventions                0       ≤ 0     ok',
      '  governance violations              0       ≤ 0     ok',
      '  bootstrap run total (s)            –       ≤ 1500  –',
      '',
      '  milestones done: 1 of 2 planned',
      '  worker calls: 3 (1 parse failure)',
      '  verification time (s): tier0 median 0.3, p90 0.3, max 0.3 (n=1)',
      '  diff, each checkpoint summed: 1 file, 4 lines added or removed',
      '  review skips: none',
      '  cost: $0.25',
      '  tokens: 300 in, 30 out',
      '  step time (s): 2.5',
      '',
    ].join('\n'),
  );
});

t.test('text, several runs: one line each, no milestone table, pooled KPIs', async (t) => {
  const text = renderText(buildReport({ store: '/s', runs: [run('r1'), run('r2', { status: 'completed', stop_reason: 'completed' }), run('r3', { events: null })], targets }));
  t.match(text, /^3 runs in \/s\n/);
  t.match(text, /\n {2}r2 +completed +1\/2 /);
  t.match(text, /\n {2}r3 +stopped \(budget_exhausted\) +\? +– +– +– +write two files\n/);
  t.notMatch(text, /Milestones of run/);
  t.match(text, /\nKPIs across 2 runs \(milestones pooled; 1 without a timeline left out\)\n/);
  t.match(text, /\n {2}worker calls: 6 \(2 parse failures\)\n/);
});

t.test('several runs without their details: the same text, the same KPIs, no rows or milestones made', async (t) => {
  const runs = [run('r1'), run('r2', { status: 'completed', stop_reason: 'completed' }), run('r3', { events: null })];
  const full = buildReport({ store: '/s', runs, targets });
  const lines = buildReport({ store: '/s', runs, targets, runDetails: false });
  t.equal(renderText(lines), renderText(full), 'what the text shows needs neither');
  t.same(lines.across, full.across, 'the pooled KPIs and their rows are whole');
  t.same(lines.runs.map((r) => r.kpis), full.runs.map((r) => r.kpis));
  t.ok(full.runs[0]!.rows.length > 0 && full.runs[0]!.milestones.length > 0, 'the full report has them');
  t.ok(lines.runs.every((r) => r.rows.length === 0 && r.milestones.length === 0), 'left out when not asked for');
});

t.test('text: no timeline at all, no KPI table', async (t) => {
  const text = renderText(buildReport({ store: '/s', runs: [run('r1', { events: null })], targets }));
  t.match(text, /\nNo KPIs: the run has no readable timeline\.\n/);
  t.notMatch(text, /KPIs of run/);
});

t.test('text: control characters from a record cannot reach the terminal', async (t) => {
  const text = renderText(buildReport({ store: '/s', runs: [run('r\u001b]0;x\u0007', { goal: 'clear \u001b[2J screen' })], targets }));
  t.notMatch(text, /[\u001b\u0007]/);
  t.match(text, 'clear \ufffd[2J screen');
  t.match(text, 'r\ufffd]0;x\ufffd');
});

t.test('text: a milestone id with line breaks stays in its row', async (t) => {
  const evs = timeline()
    .plan([{ id: 'm1\n3  fake  done  0.1  1  1  no  pass  approved  abc  –  all good', goal: 'write a' }])
    .milestone(1, { id: 'm1\n3  fake  done  0.1  1  1  no  pass  approved  abc  –  all good', calls: 1 })
    .step(100).events;
  const text = renderText(buildReport({ store: '/s', runs: [run('r1', { events: evs })], targets }));
  t.notMatch(text, /\n3 {2}fake/, 'no line of the table is the id\'s');
  t.match(text, /m1 3 fake/);
});

t.test('HTML: a goal or id with markup is escaped, never live', async (t) => {
  const goal = '<script>alert("x")</script> & <b onload=\'y\'>';
  const html = renderHtml(buildReport({ store: '/s<i>', runs: [run('r1', { goal })], targets }), { storeLabel: 'st<o>re' });
  t.notMatch(html, /<script/i, 'no script element at all');
  t.notMatch(html, /<b onload/);
  t.match(html, '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b onload=&#39;y&#39;&gt;');
  t.match(html, 'of st&lt;o&gt;re');
  t.notMatch(html, '/s&lt;i&gt;', 'the store path is not in the page');
  t.equal(escapeHtml(`<>&"'`), '&lt;&gt;&amp;&quot;&#39;');
  // A hostile probe's worker left a raw ESC in the HTML report (harmless in a browser, obeyed by a terminal that prints the file).
  t.equal(escapeHtml('a\x1b]52;c;x\x07b\u202etxt.exe\tc\nd\r\ne\rEVIL'), 'a\ufffd]52;c;x\ufffdb\ufffdtxt.exe\tc\nd\ne\ufffdEVIL', 'control and bidi characters shown as U+FFFD, tabs and line breaks kept, a lone carriage return not');
});

t.test('HTML, several runs: self-contained; the run table, KPI bars, trends and each run once', async (t) => {
  const report = buildReport({ store: '/s', runs: [run('r1'), run('r2', { notes: ['it has a note'] })], targets });
  const html = renderHtml(report);
  t.match(html, /^<!doctype html>\n<html lang="en">/);
  t.notMatch(html, /\bsrc=|url\(|@import|https?:/, 'no external asset');
  t.strictSame([...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]), ['#run-r1', '#run-r2'], 'without a store link base only links within the page');
  for (const id of ['r1', 'r2']) t.match(html, `<tr><td><a href="#run-${id}">${id}</a></td><td class="st-stop">stopped (budget_exhausted)</td><td>1/2</td>`);
  for (const row of report.across.rows) t.equal(count(html, `data-kpi="${escapeHtml(row.name)}"`), 1, `one bar for ${row.name}`);
  t.match(html, '<div class="kpi k-ok"><span class="kn">milestone time median (s)</span>');
  t.match(html, '<span class="kv">2 <span class="kt">≤ 180</span> <b class="mark">ok</b></span>', 'the word, not only the colour');
  t.match(html, '<div class="kpi k-over"><span class="kn">retry rate</span>');
  t.equal(count(html, 'class="bullets"'), 1, 'one KPI block');
  t.equal(count(html, '<svg class="trend"'), 5, 'the five seed KPIs over the runs');
  t.match(html, '<h2>Determinism: 2 runs of one task</h2>', 'both runs have the same goal');
  t.match(html, '<p class="note">it has a note</p>');
  t.equal(count(html, '<details id="run-'), 2, 'each run folded once');
  t.equal(count(html, '<table'), 2 + 1 + 1, 'run table, determinism, and one milestone table per run');
});

t.test('HTML, one run: status, timeline, KPI bars first; no table twice; local and relative times', async (t) => {
  const events = hostileRunEvents();
  const report = buildReport({ store: '/abs/store', runs: [run('r1', { events, status: 'stopped', stop_reason: 'governance_violation', created_at: events[0]!.ts })], targets });
  const details = { r1: { dir: 'r1', timeline: buildTimeline(events), files: ['memo.md', 'summary.md', 'attempted.patch', 'calls/0001-plan-planner/text.md', 'calls/0002-implement-impl/stdout.log', 'verify/0001-tier0.log'] } };
  const html = renderHtml(report, { details, storeHref: '../runs', storeLabel: 'repo/.engine/runs', now: '2026-01-01T03:00:01.000Z', timeZone: 'Europe/Berlin' });
  const order = ['id="status"', 'class="timeline-box"', 'id="kpis"', 'class="milestones"', 'class="records"'].map((s) => html.indexOf(s));
  t.ok(order.every((i, k) => i > 0 && (k === 0 || i > order[k - 1]!)), `sections in order: ${order}`);
  t.notMatch(html, '/abs/store');
  t.equal(count(html, 'class="bullets"'), 1, 'the KPIs once (they were a run table and a pooled table before)');
  t.notMatch(html, /<h2>Runs<\/h2>/, 'no run table for one run: the status says it');
  t.match(html, '<dt>started</dt><dd><time datetime="2026-01-01T00:00:01.000Z">1 Jan 2026, 01:00:01 CET</time> <span class="ago">(3 h ago)</span></dd>');
  t.equal(count(html, 'data-kind="worker"'), 4);
  t.equal(count(html, 'data-kind="verify"'), 2);
  const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
  t.strictSame(hrefs.sort(), ['../runs/r1/attempted.patch', '../runs/r1/calls/0001-plan-planner/text.md', '../runs/r1/calls/0001-plan-planner/text.md', '../runs/r1/calls/0002-implement-impl/stdout.log', '../runs/r1/calls/0002-implement-impl/stdout.log', '../runs/r1/memo.md', '../runs/r1/summary.md', '../runs/r1/verify/0001-tier0.log', '../runs/r1/verify/0001-tier0.log'].sort(), 'each link is to a listed file: a bar and its row in the records');
  t.notMatch(html, /<wk>/, 'a worker name with markup is escaped in the timeline');
  t.match(html, '&lt;wk&gt;');
});

t.test('HTML: the review column says how a milestone was reviewed', async (t) => {
  const base = { index: 1, id: 'm', goal: 'g', status: 'done' as const, duration_s: 1, worker_calls: 2, attempts: 1, parse_failures: 0, retried: false, verify: [], governance_violations: 0, checkpoint: null, over: [] };
  t.equal(showReview({ ...base, review_skipped_reason: null, reviews: 1, review_verdict: 'approve' }), 'approve');
  t.equal(showReview({ ...base, review_skipped_reason: null, reviews: 2, review_verdict: 'approve' }), 'approve (2 rounds)');
  t.equal(showReview({ ...base, review_skipped_reason: 'small_green', reviews: 0, review_verdict: null }), 'skipped (small_green)');
  t.equal(showReview({ ...base, review_skipped_reason: null, reviews: 0, review_verdict: null }), '–');
  t.equal(showReview({ ...base, review_skipped_reason: null }), '?', 'an old index line without the count');
  const [m] = describeMilestones(hostileRunEvents());
  t.match(m, { reviews: 1, review_verdict: 'approve' });
});

t.test('timeline model: a bar per call and verification, outcomes, marks and bands', async (t) => {
  const tl = buildTimeline(hostileRunEvents())!;
  t.strictSame(tl.rows, ['planner', '<wk>', 'reviewer', 'verification', 'checkpoint']);
  t.strictSame(tl.bars.filter((b) => b.kind === 'worker').map((b) => [b.row, b.outcome]), [['planner', 'ok'], ['<wk>', 'parse_failure'], ['reviewer', 'ok'], ['<wk>', 'violation']]);
  t.strictSame(tl.bars.filter((b) => b.kind === 'checkpoint').map((b) => b.outcome), ['ok']);
  t.strictSame(tl.bars.filter((b) => b.kind === 'verify').map((b) => b.outcome), ['failed', 'ok']);
  t.strictSame(tl.marks.map((m) => m.kind), ['parse_failure', 'violation', 'stop']);
  t.strictSame(tl.bands.map((b) => [b.id, b.done]), [['m1', true], ['m2', false]]);
  t.equal(tl.bands[1]!.end_ms, tl.span_ms, 'an unfinished milestone runs to the last event');
  t.match(tl.bars[1]!.label, /^implement m1: parse failure, 1 s, 2000 in \/ 30 out tokens$/);
  t.equal(buildTimeline([]), null);
  const svg = renderTimelineSvg(tl, (r) => `x/${r}`);
  t.equal(count(svg, 'class="bar '), tl.bars.length);
  t.equal(count(svg, '<a href='), tl.bars.filter((b) => b.record).length);
  t.notMatch(svg, /<wk>/);
});

t.test('a worker still running when the run stopped: a bar to the last event', async (t) => {
  const b = timeline();
  b.add('worker.started', { step: 'implement', milestone: 1, attempt: 1, worker: 'w', plugin: 'command', phase: 'implement', call: 'calls/1' } as never);
  b.add('run.finished', { status: 'stopped', stop_reason: 'interrupted', exit_code: 130, detail: '', kpis: null } as never);
  const tl = buildTimeline(b.events)!;
  t.strictSame(tl.bars.map((x) => [x.outcome, x.start_ms, x.end_ms]), [['unfinished', 0, 1000]]);
  t.strictSame(tl.marks.map((m) => m.label), ['stopped: interrupted']);
});

t.test('bullet and trend charts: values, target and words', async (t) => {
  const over = renderBullet({ name: 'retry rate', value: 0.5, target: 0.2, ok: false, op: '<' });
  t.match(over, 'data-state="over"');
  t.match(over, '<title>retry rate: 0.5 (target &lt; 0.2), over target</title>');
  t.match(over, '<rect class="kv k-over" x="0" y="4" width="200"', 'the value is the scale\'s end');
  t.match(renderBullet({ name: 'x', value: null, target: 5, ok: null, op: '≤' }), 'data-state="none"');
  t.notMatch(renderBullet({ name: 'x', value: null, target: 5, ok: null, op: '≤' }), 'class="kv');
  const trend = renderTrend('retry rate', [{ run_id: 'a', value: 0.1 }, { run_id: 'b', value: null }, { run_id: 'c', value: 0.5 }], 0.2);
  t.equal(count(trend, '<circle'), 2, 'no dot for a run without a value');
  t.equal(count(trend, 'class="tl-over"'), 1);
  t.match(trend, 'aria-label="retry rate: 0.5 latest, 0.1–0.5, target ≤ 0.2"');
  t.strictSame(ticks(22_100), [0, 5000, 10000, 15000, 20000]);
  t.equal(relative(90_000), '1 min ago');
  t.equal(relative(-3_600_000), 'in the future');
});

/**
 * A run that plans, fails to parse one answer, fails verification, retries, breaks a governance
 * rule and stops; one worker is named with markup.
 */
function hostileRunEvents() {
  const b = timeline();
  const call = (worker: string, phase: string, c: string, milestone: number | null, attempt: number, more: Record<string, unknown> = {}) => {
    b.add('worker.started', { step: phase, milestone, attempt, worker, plugin: 'command', phase, call: c } as never);
    b.add('worker.finished', { step: phase, milestone, attempt, worker, call: c, outcome: 'ok', exit_code: 0, timed_out: false, duration_ms: 1000, usage: { input_tokens: 2000, output_tokens: 30 }, cost_usd: null, markers_ok: true, error: null, ...more } as never);
  };
  call('planner', 'plan', 'calls/0001-plan-planner', null, 1);
  b.plan([{ id: 'm1', goal: 'a' }, { id: 'm2', goal: 'b' }]);
  b.add('milestone.started', { step: 'next_milestone', milestone: 1, id: 'm1', goal: 'a' } as never);
  call('<wk>', 'implement', 'calls/0002-implement-impl', 1, 1, { markers_ok: false });
  b.add('parse.failed', { step: 'implement', milestone: 1, attempt: 1, call: 'calls/0002-implement-impl', error: 'no markers', retries_left: 0 } as never);
  b.add('verify.finished', { step: 'verify', milestone: 1, attempt: 1, tier: 'tier0', pass: false, skipped: false, duration_ms: 500, log: 'verify/0001-tier0.log', commands: [{ command: 'npm test', exit_code: 1, timed_out: false, duration_ms: 500 }] } as never);
  b.add('step.started', { step: 'implement', milestone: 1, attempt: 2, kind: 'worker' } as never);
  b.add('verify.finished', { step: 'verify', milestone: 1, attempt: 1, tier: 'tier0', pass: true, skipped: false, duration_ms: 500, log: 'verify/0002-tier0.log', commands: [] } as never);
  call('reviewer', 'review', 'calls/0003-review-reviewer', 1, 1);
  b.add('step.finished', { step: 'review', milestone: 1, attempt: 1, kind: 'worker', outcome: 'approve', next: 'checkpoint', duration_ms: 1000, patch: {}, tree: null } as never);
  b.add('step.started', { step: 'checkpoint', milestone: 1, attempt: 1, kind: 'checkpoint' } as never);
  b.add('step.finished', { step: 'checkpoint', milestone: 1, attempt: 1, kind: 'checkpoint', outcome: 'ok', next: 'next_milestone', duration_ms: 1000, patch: {}, tree: null } as never);
  b.add('milestone.finished', { step: 'next_milestone', milestone: 1, attempt: 1, id: 'm1', duration_ms: 9000, worker_calls: 2 } as never);
  b.add('milestone.started', { step: 'next_milestone', milestone: 2, id: 'm2', goal: 'b' } as never);
  b.add('worker.started', { step: 'implement', milestone: 2, attempt: 1, worker: '<wk>', plugin: 'command', phase: 'implement', call: 'calls/0004-implement-impl' } as never);
  b.add('governance.violation', { step: 'implement', milestone: 2, attempt: 1, call: 'calls/0004-implement-impl', violations: [{ path: 'docs/x.md', rule: 'outside_allowed_roots', pattern: null }], patch: 'attempted.patch', stop_reason: 'governance_violation' } as never);
  b.add('worker.finished', { step: 'implement', milestone: 2, attempt: 1, worker: '<wk>', call: 'calls/0004-implement-impl', outcome: 'ok', exit_code: 0, timed_out: false, duration_ms: 1000, usage: null, cost_usd: null, markers_ok: true, error: null } as never);
  b.add('run.finished', { status: 'stopped', stop_reason: 'governance_violation', exit_code: 3, detail: '', kpis: null } as never);
  return b.events;
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

t.test('formatTable aligns columns and leaves no trailing space', async (t) => {
  t.strictSame(formatTable(['a', 'bb', 'c'], [['xxx', '', 'z'], ['', 'y', '']]), ['  a    bb  c', '  xxx      z', '       y']);
});

// A file name and a parse error come from the worker: the timeline's hover titles showed a
// name with U+202E reversed (`src/\u202egnp.exe` read as `src/exe.png`) and a terminal escape
// as it was, where every other text of the page shows U+FFFD for them.
t.test('HTML: control and bidi characters in the timeline and its titles are shown as U+FFFD', async (t) => {
  const b = timeline();
  b.add('worker.started', { step: 'implement', milestone: 1, attempt: 1, worker: 'w\u202eevil', plugin: 'command', phase: 'implement', call: 'calls/1' } as never);
  b.add('parse.failed', { step: 'implement', milestone: 1, attempt: 1, call: 'calls/1', error: 'bad \x1b[31mred\x07', retries_left: 0 } as never);
  b.add('governance.violation', { step: 'implement', milestone: 1, attempt: 1, call: 'calls/1', violations: [{ path: 'src/\u202egnp.exe', rule: 'outside_allowed_roots', pattern: null }], patch: null, stop_reason: 'governance_violation' } as never);
  const svg = renderTimelineSvg(buildTimeline(b.events)!, () => null);
  t.notMatch(svg, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/, 'no control or bidi character');
  t.match(svg, 'src/\ufffdgnp.exe');
  t.match(svg, 'bad \ufffd[31mred\ufffd');
});
