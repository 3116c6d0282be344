// test cost: about 33 s: runs, then their reports in a real chromium (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engine, makeFixture, readJsonl, twoMilestones } from '../helpers/run-fixture.js';
import { packageRoot } from '../../engine/paths.js';
import { scratchBase, spawnEngine } from './helpers/spawn-engine.js';

// `engine report --html` of real runs, opened in headless Chromium (Debian's chromium driven by
// playwright-core): the demo's run, a stopped run, and a run with a parse failure, a retry and
// a governance violation. At 1280 and 390 px: no console error, no failed request, no
// horizontal overflow of the page, a timeline bar per worker call and verification run of the
// run's timeline, every link to an existing file. Screenshots go to .tap/report-screenshots/
// (or $REPORT_SCREENSHOTS) for a person to look at.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const shots = process.env.REPORT_SCREENSHOTS ?? path.join(packageRoot, '.tap', 'report-screenshots');

type Playwright = typeof import('playwright-core');
let pw: Playwright | null = null;
try {
  pw = (await import('playwright-core')) as Playwright;
} catch {
  pw = null;
}
const missing = !existsSync(CHROMIUM) ? `no ${CHROMIUM} (apt-get install chromium)` : !pw ? 'playwright-core is not installed' : null;
if (missing && process.env.CI) t.fail(`the browser test cannot run in CI: ${missing}`);
t.test('engine report --html of real runs in headless Chromium', { skip: missing ?? false }, async (t) => {
  const playwright = pw!;
  mkdirSync(shots, { recursive: true });
  const base = scratchBase(t, 'report-browser');

  // The demo's run (the real claude and codex CLIs against the scripted model), with its page
  // written outside the store, as `engine report latest --html r.html` in the repo does.
  const demoRepo = path.join(base, 'demo');
  const demo = spawnEngine(['demo', '--dir', demoRepo, '--no-progress'], { cwd: base });

  // A run with a parse failure and a retry in m1 (tier0 fails until attempt 2 writes the fix),
  // then a change outside the allowed roots in m2: rolled back, a violation, the run stops.
  const f = makeFixture({
    script: {
      ...twoMilestones,
      implement: { '1': { 'src/a.txt': 'alpha\n' }, '2': { 'docs/notes.md': 'not allowed\n' } },
      garbage: { 'implement#1#1': 1 },
      writes: { 'implement#1#2': { 'src/fix.txt': 'fixed\n' } },
    },
    policy: {
      governance: { allowed_roots: ['src/**'] },
      verification: { max_attempts: 3, tiers: { tier0: { commands: ['test -f src/fix.txt'] }, tier2: { commands: ['true'] } } },
    },
  });
  const run = (id: string, extra: string[] = []) => engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', `<b>goal</b> of ${id}`, '--policy', f.policyFile, '--run-id', id, '--no-progress', ...extra], { cwd: f.dir });
  const violation = run('violation');
  const stopped = run('stopped', ['--max-ticks', '5']);
  t.equal(violation.code, 3, violation.stderr);
  t.equal(stopped.code, 1, stopped.stderr);
  const store = path.join(f.repo, '.engine', 'runs');
  const events = (dir: string) => readJsonl(path.join(dir, 'timeline.jsonl'));
  const v = events(path.join(store, 'violation'));
  t.ok(v.some((e) => e.type === 'parse.failed'), 'the run has a parse failure');
  t.ok(v.some((e) => e.type === 'step.started' && e.attempt > 1), 'and a retry');
  t.ok(v.some((e) => e.type === 'governance.violation'), 'and a violation');

  const pages: { name: string; file: string; runs: string[] }[] = [];
  const html = (name: string, args: string[], file: string, runs: string[], cwd = f.dir) => {
    const r = engine(['report', ...args, '--html', file], { cwd });
    t.equal(r.code, 0, r.stderr);
    pages.push({ name, file, runs });
  };
  html('violation', ['violation', '--repo', f.repo], path.join(f.dir, 'violation.html'), [path.join(store, 'violation')]);
  html('stopped', ['stopped', '--repo', f.repo], path.join(store, 'stopped.html'), [path.join(store, 'stopped')]);
  html('all', ['--all', '--repo', f.repo], path.join(store, 'all.html'), [path.join(store, 'violation'), path.join(store, 'stopped')]);

  const d = await demo;
  t.equal(d.code === 0 || d.code === 1, true, `the demo ran to its end\n${d.stderr.slice(-800)}`);
  const demoStore = path.join(demoRepo, '.engine', 'runs');
  const demoRun = readdirSync(demoStore).find((n) => statSync(path.join(demoStore, n)).isDirectory())!;
  html('demo', ['latest'], path.join(demoRepo, 'r.html'), [path.join(demoStore, demoRun)], demoRepo);

  const browser = await playwright.chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  t.teardown(() => browser.close());
  for (const page of pages) {
    for (const width of [1280, 390]) {
      await t.test(`${page.name} at ${width} px`, async (t) => {
        const tab = await browser.newPage({ viewport: { width, height: 800 } });
        const errors: string[] = [];
        tab.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
        tab.on('pageerror', (e) => errors.push(e.message));
        tab.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
        const requests: string[] = [];
        tab.on('request', (r) => requests.push(r.url()));
        await tab.goto(`file://${page.file}`);
        t.strictSame(errors, [], 'no console error, no failed request');
        t.strictSame(requests, [`file://${page.file}`], 'the page loads nothing else');
        // Page scripts as strings: the project's types have no DOM.
        const overflow = await tab.evaluate<{ scroll: number; inner: number }>('({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })');
        t.ok(overflow.scroll <= overflow.inner, `no horizontal overflow (${overflow.scroll} ≤ ${overflow.inner})`);

        // One timeline per run, in the order of the runs; a bar per worker call and verification run.
        const counts = await tab.evaluate<{ worker: number; verify: number }[]>(`[...document.querySelectorAll('svg.timeline')].map((s) => ({ worker: s.querySelectorAll('rect.bar[data-kind="worker"]').length, verify: s.querySelectorAll('rect.bar[data-kind="verify"]').length }))`);
        t.equal(counts.length, page.runs.length, 'a timeline per run');
        page.runs.forEach((dir, i) => {
          const ev = events(dir);
          t.strictSame(counts[i], { worker: ev.filter((e) => e.type === 'worker.started').length, verify: ev.filter((e) => e.type === 'verify.finished').length }, `${path.basename(dir)}: bars as in its timeline`);
        });

        // Every link: a file that exists, or an anchor of this page.
        const links = await tab.evaluate<{ raw: string; url: string }[]>(`[...document.querySelectorAll('a[href]')].map((a) => ({ raw: a.getAttribute('href'), url: new URL(a.getAttribute('href'), document.baseURI).href }))`);
        t.ok(links.length > 0);
        for (const l of links) {
          if (l.raw.startsWith('#')) t.equal(await tab.locator(`[id="${l.raw.slice(1)}"]`).count(), 1, `anchor ${l.raw}`);
          else {
            t.notOk(path.isAbsolute(l.raw), `${l.raw} is relative`);
            const file = fileURLToPath(l.url);
            t.ok(existsSync(file) && statSync(file).isFile(), `${l.raw} is a file`);
          }
        }
        await tab.screenshot({ path: path.join(shots, `${page.name}-${width}.png`), fullPage: true });
        if (page.name === 'demo' && width === 1280) {
          // Without scrolling at 1280×800: the run's status, its timeline and its KPI bars.
          const box = await tab.evaluate<number[]>(`['#status', 'svg.timeline', '.bullets'].map((s) => document.querySelector(s)?.getBoundingClientRect().bottom ?? Infinity)`);
          t.ok(box.every((b) => b <= 800), `status, timeline and KPI bars above the fold: ${box.map(Math.round)}`);
          await tab.screenshot({ path: path.join(shots, 'demo-1280x800.png') });
          // Printable: in print media nothing scrolls sideways and the timeline is not clipped.
          await tab.emulateMedia({ media: 'print' });
          const printed = await tab.evaluate<{ scroll: number; inner: number; clipped: boolean }>(`({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth, clipped: [...document.querySelectorAll('.tl,.scroll')].some((e) => getComputedStyle(e).overflowX !== 'visible') })`);
          t.strictSame(printed, { scroll: printed.inner, inner: printed.inner, clipped: false }, 'print: no sideways overflow, no scroll boxes');
          const pdf = await tab.pdf({ path: path.join(shots, 'demo.pdf') });
          t.ok(pdf.length > 1000, `a PDF of ${pdf.length} bytes`);
        }
        await tab.close();
      });
    }
  }
});
