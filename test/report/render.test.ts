import t from 'tap';
import { buildReport, type ReportRunInput } from '../../engine/report/build-report.js';
import { renderText } from '../../engine/report/render-text.js';
import { escapeHtml, renderHtml } from '../../engine/report/render-html.js';
import { formatTable } from '../../engine/report/format-table.js';
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
      '  diff: 1 file, 4 lines added or removed',
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

t.test('HTML: a goal or id with markup is escaped, never live', async (t) => {
  const goal = '<script>alert("x")</script> & <b onload=\'y\'>';
  const html = renderHtml(buildReport({ store: '/s<i>', runs: [run('r1', { goal })], targets }));
  t.notMatch(html, /<script/i, 'no script element at all');
  t.notMatch(html, /<b onload/);
  t.match(html, '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b onload=&#39;y&#39;&gt;');
  t.match(html, '<code>/s&lt;i&gt;</code>');
  t.equal(escapeHtml(`<>&"'`), '&lt;&gt;&amp;&quot;&#39;');
});

t.test('HTML: self-contained, with the runs, milestones and KPI rows', async (t) => {
  const report = buildReport({ store: '/s', runs: [run('r1'), run('r2', { notes: ['it has a note'] })], targets });
  const html = renderHtml(report);
  t.match(html, /^<!doctype html>\n<html lang="en">/);
  t.notMatch(html, /\b(src|href)=|url\(|@import/, 'no external asset');
  for (const id of ['r1', 'r2']) t.match(html, `<tr><td>${id}</td><td>stopped (budget_exhausted)</td><td>1/2</td>`);
  for (const row of report.across.rows) t.match(html, `<td>${escapeHtml(row.name)}</td>`);
  t.match(html, '<tr class="ok"><td>milestone time median (s)</td><td>2</td><td>≤ 180</td><td>ok</td></tr>');
  t.match(html, '<p class="note">it has a note</p>');
  t.equal((html.match(/<details>/g) ?? []).length, 2, 'milestones of every run, folded when there are several');
});

t.test('formatTable aligns columns and leaves no trailing space', async (t) => {
  t.strictSame(formatTable(['a', 'bb', 'c'], [['xxx', '', 'z'], ['', 'y', '']]), ['  a    bb  c', '  xxx      z', '       y']);
});
