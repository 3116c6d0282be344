import t from 'tap';
// @ts-expect-error: a plain script, no declarations
import { canTime, faultCostUs, timed } from '../../bench/milestone.bench.mjs';

// The milestone bench counts the page faults of the tree it measures (fixtures/reap-time.py or
// /usr/bin/time) and times what one costs the machine: both must come from the kernel's counts.
t.test('a measured command reports its minor page faults, a bigger one more', { skip: canTime ? false : 'neither python3 nor /usr/bin/time here' }, async (t) => {
  const small = timed(process.execPath, ['-e', '0'], {});
  const big = timed(process.execPath, ['-e', 'const b = Buffer.allocUnsafeSlow(32 << 20); for (let i = 0; i < b.length; i += 4096) b[i] = 1;'], {});
  t.equal(small.status, 0);
  t.ok(Number.isInteger(small.faults) && small.faults > 100, `node -e 0: ${small.faults} faults`);
  // 32 MiB is 8,192 pages, each touched once.
  t.ok(big.faults - small.faults >= 8000, `32 MiB touched: ${big.faults - small.faults} more faults`);
});

t.test('the cost of a page fault is timed from faults the kernel counted', async (t) => {
  const us: number = faultCostUs();
  t.ok(Number.isFinite(us) && us > 0 && us < 1000, `${us.toFixed(2)} µs per fault`);
});
