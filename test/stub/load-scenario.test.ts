import t from 'tap';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { loadScenario, ScenarioError } from '../../engine/stub/index.js';

const dir = path.join('test', 'fixtures', 'scenarios');

t.test('every scenario fixture loads', async (t) => {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.scenario.yaml'));
  t.ok(files.length >= 3);
  for (const f of files) {
    const s = await loadScenario(path.join(dir, f));
    t.equal(s.kind, 'Scenario', f);
  }
});

t.test('a bad scenario throws ScenarioError with codes and positions', async (t) => {
  const err = await loadScenario(path.join(dir, 'invalid', 'bad.scenario.yaml')).catch((e: unknown) => e);
  t.type(err, ScenarioError);
  const ds = (err as ScenarioError).diagnostics.map((d) => `${d.code}@${d.line}:${d.col}`);
  t.same(ds, ['E_SCHEMA@6:12', 'E_UNKNOWN_KEY@9:9']);
});
