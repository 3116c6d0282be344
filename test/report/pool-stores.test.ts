import t from 'tap';
import { poolStores } from '../../engine/report/pool-stores.js';

const run = (id: string, created: string, store: string) => ({ dir: `${store}/${id}`, state: { run_id: id, created_at: created } });

t.test('runs of several stores: one list, oldest first, each tagged with its store', async (t) => {
  const pooled = poolStores([
    { store: '/a', runs: [run('r1', '2026-01-01T00:00:01Z', '/a'), run('r4', '2026-01-01T00:00:04Z', '/a')] },
    { store: '/b', runs: [run('r2', '2026-01-01T00:00:02Z', '/b')] },
    { store: '/c', runs: [] },
    { store: '/d', runs: [run('r0', '2026-01-01T00:00:02Z', '/d')] },
  ]);
  t.ok(pooled.ok);
  if (!pooled.ok) return;
  t.same(
    pooled.runs.map((r) => [r.state.run_id, r.store]),
    [
      ['r1', '/a'],
      ['r0', '/d'],
      ['r2', '/b'],
      ['r4', '/a'],
    ],
    'by created_at, then id',
  );
});

t.test('a run id in two stores (or twice in one) is refused with every store that holds it', async (t) => {
  const pooled = poolStores([
    { store: '/a', runs: [run('r1', '2026-01-01T00:00:01Z', '/a'), run('r2', '2026-01-01T00:00:02Z', '/a')] },
    { store: '/b', runs: [run('r1', '2026-01-01T00:00:01Z', '/b'), run('r3', '2026-01-01T00:00:03Z', '/b')] },
    { store: '/c', runs: [run('r1', '2026-01-01T00:00:09Z', '/c'), run('r3', '2026-01-01T00:00:03Z', '/c')] },
  ]);
  t.same(pooled, {
    ok: false,
    duplicates: [
      { run_id: 'r1', stores: ['/a', '/b', '/c'] },
      { run_id: 'r3', stores: ['/b', '/c'] },
    ],
  });
  t.same(poolStores([{ store: '/a', runs: [run('x', '2026-01-01T00:00:01Z', '/a'), { dir: '/a/copy-of-x', state: { run_id: 'x', created_at: '2026-01-01T00:00:01Z' } }] }]), { ok: false, duplicates: [{ run_id: 'x', stores: ['/a', '/a'] }] });
});

t.test('a pooled report names its stores in text and HTML; one store reads as before', async (t) => {
  const { buildReport } = await import('../../engine/report/build-report.js');
  const { renderText } = await import('../../engine/report/render-text.js');
  const { renderHtml } = await import('../../engine/report/render-html.js');
  const { targets } = await import('../kpi/helpers/targets.js');
  const runs = [{ run_id: 'r1', status: 'completed', stop_reason: 'completed', goal: 'g', task_kind: 'incremental', created_at: '2026-01-01T00:00:00Z', events: [], notes: [], store: '/s/<b>' }];
  const pooled = buildReport({ store: '/s/a', stores: ['/s/a', '/s/<b>'], runs, targets });
  t.same(pooled.stores, ['/s/a', '/s/<b>']);
  t.equal(pooled.runs[0]!.store, '/s/<b>');
  t.match(renderText(pooled), /^1 run in 2 stores: \/s\/a, \/s\/<b>$/m);
  // The page names stores as the CLI labels them (relative to the page), never by absolute path.
  t.match(renderHtml(pooled), '1 run of 2 stores');
  t.notMatch(renderHtml(pooled), '/s/a');
  t.match(renderHtml(pooled, { storeLabel: '2 stores: a, <b>' }), '1 run of 2 stores: a, &lt;b&gt;');
  const single = buildReport({ store: '/s/a', runs: runs.map(({ store: _s, ...r }) => r), targets });
  t.notOk('stores' in single, 'one store: no stores field');
  t.match(renderText(single), /^1 run in \/s\/a$/m);
});
