import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// @ts-expect-error: a plain script, no declarations
import { canSample, growthByRound, growthInRun, timedSampled } from '../../bench/milestone.bench.mjs';

// The bench's growth figure is taken round by round (the machine's speed drifts between rounds).
const run = (cpu_ms: number) => ({ cpu_ms });

t.test('each round that measured 10, 50 and 200 milestones gives its own growth', async (t) => {
  const measured = new Map([
    [10, [run(1000), run(2000), run(1100)]],
    // Round 1 ran on a machine twice as slow: its slopes are both twice as steep, its growth the same.
    [50, [run(3000), run(6000)]],
    [200, [run(10500), run(21000)]],
  ]);
  const rounds: number[] = growthByRound(measured);
  t.equal(rounds.length, 2, 'only rounds with all three sizes');
  t.equal(rounds[0], 0, 'a flat slope: 50 ms per milestone from 10 to 50 and from 50 to 200');
  t.equal(rounds[1], 0);
  t.same(growthByRound(new Map([[10, [run(1000)]], [50, [run(2200)]], [200, [run(8500)]]])).map((g: number) => g.toFixed(2)), ['0.40'], '30 then 42 ms per milestone: +40 %');
  t.same(growthByRound(new Map([[10, [run(1000)]], [50, [run(3000)]]])), [], 'no 200: no round');
});

t.test("a run read as it goes gives the growth inside it, the workers' share taken off", async (t) => {
  // 60 ms a milestone, 10 of them the workers': 50 of the engine's from start to end.
  const flat = Array.from({ length: 200 }, (_, i) => ({ milestone: i + 1, cpu_ms: 500 + 60 * (i + 1) }));
  t.equal(growthInRun(flat, 10), 0, 'the same cost per milestone all along: flat');
  // From milestone 50 on, 70 ms a milestone: the engine's 50 became 60, +20 %; with the workers' 10 left in it would read +17 %.
  const steeper = flat.map((s) => ({ ...s, cpu_ms: s.milestone <= 50 ? s.cpu_ms : flat[49]!.cpu_ms + 70 * (s.milestone - 50) }));
  t.equal(growthInRun(steeper, 10)!.toFixed(3), '0.200');
  t.equal(growthInRun(steeper.slice(0, 120), 10)!.toFixed(3), '0.200', 'to the last milestone read, not only 200');
  t.equal(growthInRun(flat.slice(0, 50), 10), null, 'no milestone past 50: no figure');
  t.equal(growthInRun(flat.filter((s) => s.milestone !== 10), 10), null, 'milestone 10 never read: no figure');
  t.equal(growthInRun(flat, 60), null, "a first slope the workers' share takes whole: no figure");
  // The page faults, read the same way: 800 a milestone, 300 of them the workers', then 900.
  const faults = flat.map((s) => ({ ...s, faults: 1000 + 800 * Math.min(s.milestone, 50) + 900 * Math.max(0, s.milestone - 50) }));
  t.equal(growthInRun(faults, 300, 'faults')!.toFixed(3), '0.200', "the engine's 500 faults a milestone became 600: +20 %");
  t.equal(growthInRun(faults, 10), 0, 'the CPU of the same readings stays flat');
});

t.test('a run read as it goes: one reading per milestone the timeline finishes, its CPU so far', { skip: canSample ? false : 'needs Linux /proc and python3 (the reaper)' }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-growth-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const runs = path.join(dir, 'runs');
  // A stand-in for the engine: 150 ms of CPU, then a milestone finished, three times; the
  // second time with two at once; a child it waits for burns the third's CPU.
  const script = `
    const fs = require('node:fs'), cp = require('node:child_process');
    fs.mkdirSync(${JSON.stringify(path.join(runs, 'r1'))}, { recursive: true });
    const tl = ${JSON.stringify(path.join(runs, 'r1', 'timeline.jsonl'))};
    const burn = (ms) => { const end = process.cpuUsage().user / 1000 + ms; while (process.cpuUsage().user / 1000 < end); };
    const wait = () => new Promise((r) => setTimeout(r, 120));
    (async () => {
      fs.appendFileSync(tl, JSON.stringify({ type: 'run.started' }) + '\\n');
      burn(150); fs.appendFileSync(tl, JSON.stringify({ type: 'milestone.finished' }) + '\\n'); await wait();
      burn(150); fs.appendFileSync(tl, JSON.stringify({ type: 'milestone.finished' }) + '\\n' + JSON.stringify({ type: 'milestone.finished' }) + '\\n'); await wait();
      cp.execFileSync(process.execPath, ['-e', 'const e = process.cpuUsage().user / 1000 + 150; while (process.cpuUsage().user / 1000 < e);']);
      fs.appendFileSync(tl, JSON.stringify({ type: 'milestone.finished' }) + '\\n'); await wait();
    })();`;
  const r = await timedSampled(process.execPath, ['-e', script], { cwd: dir }, runs);
  t.equal(r.status, 0, r.stderr);
  t.same(r.samples.map((s: { milestone: number }) => s.milestone), [1, 2, 3, 4], 'one reading per milestone, two finished at once read alike');
  const cpu = r.samples.map((s: { cpu_ms: number }) => s.cpu_ms);
  t.ok(cpu[0] >= 150, `the first reading holds the first 150 ms (${cpu[0]} ms)`);
  t.equal(cpu[1], cpu[2], 'two milestones finished together: one reading');
  t.ok(cpu[1] - cpu[0] >= 130, `150 ms more by the second (${cpu[1] - cpu[0]} ms)`);
  t.ok(cpu[3] - cpu[2] >= 130, `a waited-for child's 150 ms are in the tree's (${cpu[3] - cpu[2]} ms)`);
  t.ok(r.cpu_ms >= cpu[3], 'the whole tree, measured at its end, holds at least the last reading');
  // The faults: a waited-for node child takes thousands (a bare `node -e 0` about 2,000).
  const faults = r.samples.map((s: { faults: number }) => s.faults);
  t.ok(faults.every((f: number, i: number) => Number.isInteger(f) && f > 0 && (i === 0 || f >= faults[i - 1]!)), `page faults counted, never fewer than before (${faults.join(', ')})`);
  t.ok(faults[3] - faults[2] >= 1000, `a waited-for child's faults are in the tree's (${faults[3] - faults[2]})`);
});
