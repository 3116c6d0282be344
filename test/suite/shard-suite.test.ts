import t from 'tap';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { inShard, parseShard, shardOf, shardPath } from '../../engine/suite/shard-suite.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => `tasks/golden/t${i}.task.yaml`);

t.test('--shard K/N: only whole numbers with 1 ≤ K ≤ N', async (t) => {
  t.same(parseShard('2/3'), { index: 2, count: 3 });
  t.same(parseShard('1/1'), { index: 1, count: 1 });
  for (const bad of ['0/3', '4/3', '3', '/3', '1/0', '-1/3', '1.5/3', 'a/b', '', '1/3/5', '1/1001', ' 2 / 3']) {
    const got = parseShard(bad);
    t.ok('error' in got, `"${bad}" is refused`);
  }
});

t.test('every task × repeat lands in exactly one shard, the same one every time', async (t) => {
  const items = names(40).flatMap((p) => [1, 2, 3].map((r) => [p, r] as const));
  for (const n of [1, 2, 3, 7]) {
    const owners = items.map(([p, r]) => [1, 2, 3, 4, 5, 6, 7].slice(0, n).filter((k) => inShard({ index: k, count: n }, p, r)));
    t.ok(owners.every((o) => o.length === 1), `N=${n}: one owner each`);
    t.same(owners.map((o) => o[0]), items.map(([p, r]) => shardOf(p, r, n)), `N=${n}: the owner is shardOf`);
  }
  t.ok(inShard(null, 'x', 1), 'no shard runs everything');
});

t.test('the hash is sha256 of "<path>#<repeat>" (documented), so other machines and versions agree', async (t) => {
  for (const [p, r] of [['tasks/golden/a.task.yaml', 1], ['tasks/hostile/b c.task.yaml', 3]] as const) {
    const h = createHash('sha256').update(`${p}#${r}`).digest();
    t.equal(shardOf(p, r, 5), (h.readUInt32BE(0) % 5) + 1);
  }
});

t.test('adding or removing other tasks moves no run to another shard', async (t) => {
  const before = new Map(names(30).flatMap((p) => [1, 2].map((r) => [`${p}#${r}`, shardOf(p, r, 3)] as const)));
  const after = [...names(30).slice(5), 'tasks/new/x.task.yaml'].flatMap((p) => [1, 2].map((r) => [`${p}#${r}`, shardOf(p, r, 3)] as const));
  for (const [key, k] of after) if (before.has(key)) t.equal(k, before.get(key), key);
});

t.test('shards are roughly even over many runs', async (t) => {
  const counts = [0, 0, 0];
  for (const p of names(300)) for (const r of [1, 2, 3]) counts[shardOf(p, r, 3) - 1]!++;
  for (const c of counts) t.ok(c > 240 && c < 360, `${c} of 900 in a shard`);
});

t.test('a task path is relative to the suite directory, with / separators', async (t) => {
  const cwd = path.resolve('/work/checkout');
  t.equal(shardPath(path.join(cwd, 'tasks', 'golden', 'a.task.yaml'), cwd), 'tasks/golden/a.task.yaml');
  t.equal(shardPath(path.resolve('/elsewhere/a.task.yaml'), cwd), '../../elsewhere/a.task.yaml');
});
