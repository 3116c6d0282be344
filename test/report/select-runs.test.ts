import t from 'tap';
import { selectRuns, type RunSelection } from '../../engine/report/select-runs.js';
import type { StoredRun } from '../../engine/store/list-runs.js';
import type { RunState } from '../../engine/generated/state.js';

const stored = (id: string, dir = id): StoredRun => ({ dir: `/store/${dir}`, state: { run_id: id, created_at: `2026-01-01T00:00:0${id.length}Z` } as RunState });
const runs = [stored('a'), stored('b', 'b-dir'), stored('c')];
const ids = (sel: RunSelection) => {
  const r = selectRuns(runs, sel);
  return r.ok ? r.runs.map((x) => x.state.run_id) : { unknown: r.unknown };
};

t.test('selection rules', async (t) => {
  const cases: [string, RunSelection, unknown][] = [
    ['nothing named: the newest', { all: false, ids: [] }, ['c']],
    ['latest: the newest', { all: false, ids: ['latest'] }, ['c']],
    ['--all: every run, oldest first', { all: true }, ['a', 'b', 'c']],
    ['ids in the order given', { all: false, ids: ['c', 'a'] }, ['c', 'a']],
    ['each run once', { all: false, ids: ['c', 'latest', 'c'] }, ['c']],
    ['by directory name too', { all: false, ids: ['b-dir'] }, ['b']],
    ['every unknown id named', { all: false, ids: ['a', 'x', 'y'] }, { unknown: ['x', 'y'] }],
  ];
  for (const [name, sel, want] of cases) t.strictSame(ids(sel), want, name);
});

t.test('an empty store has no latest run', async (t) => {
  t.strictSame(selectRuns([], { all: false, ids: [] }), { ok: false, unknown: ['latest'] });
  t.strictSame(selectRuns([], { all: true }), { ok: true, runs: [] });
});
