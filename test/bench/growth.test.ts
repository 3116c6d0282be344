import t from 'tap';
// @ts-expect-error: a plain script, no declarations
import { growthByRound } from '../../bench/milestone.bench.mjs';

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
