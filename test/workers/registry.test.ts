import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinWorker, builtinWorkerNames, builtinWorkers, endpointWorkerNames, hasStructuredOutput, knownDialects, parserForDialect, takesModelEndpoint } from '../../engine/workers/builtin-workers.js';
import { checkPluginShape } from '../../engine/workers/load-plugin.js';
import { effectiveSpec } from '../../engine/runtime/steps/call-worker.js';
import { recordUpstream } from '../../engine/runtime/model-traffic.js';
import type { CompiledPipeline } from '../../engine/compile/ir.js';
import { judgeCliVersion } from '../../engine/doctor/known-clis.js';

// The built-in workers and the facts they carry (engine/workers/registry.ts): every other
// room asks them instead of naming claude or codex.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

t.test('the registry: one plugin per name, in name order, each a valid plugin that says what it runs', async (t) => {
  t.same(builtinWorkerNames(), ['claude', 'codex', 'command', 'replay']);
  for (const p of builtinWorkers()) {
    t.same(checkPluginShape(p), [], `${p.name} passes the plugin shape check, facts included`);
    t.ok(p.summary.length > 10, `${p.name} has a summary`);
  }
  t.equal(builtinWorker('gemini'), null);
  t.equal(builtinWorker('./claude'), null, 'a path is never a built-in');
});

t.test("every dialect a CLI's version range names has a parser in the same plugin", async (t) => {
  for (const p of builtinWorkers()) {
    for (const r of p.cli?.ranges ?? []) t.ok(p.dialects?.[r.dialect], `${p.name}: ${r.dialect} has a parser`);
    for (const v of p.cli?.verified ?? []) t.match(judgeCliVersion(p.name, p.cli!, v), { status: 'ok', message: /\(verified\)/ }, `${p.name}: verified ${v} lies in a range`);
  }
  t.same(knownDialects().sort(), ['claude-json', 'claude-stream-json', 'codex-exec-json', 'codex-exec-json-experimental', 'codex-legacy', 'command-json', 'command-jsonl', 'command-text']);
  for (const d of knownDialects()) t.equal(typeof parserForDialect(d)?.line, 'function', `${d} makes a parser`);
  t.equal(parserForDialect('gemini-json'), null);
});

t.test('capabilities are questions to the plugin, not names', async (t) => {
  t.same(endpointWorkerNames(), ['claude', 'codex']);
  t.same(['claude', 'codex', 'command', 'replay', './mine.js'].map(takesModelEndpoint), [true, true, false, false, false]);
  t.same(['claude', 'codex', 'command', 'replay', './mine.js'].map(hasStructuredOutput), [true, true, false, false, false]);
  const endpoint = 'http://127.0.0.1:9';
  t.equal(effectiveSpec({ use: 'claude' }, endpoint).model_endpoint, endpoint, 'the scripted endpoint goes to a plugin that takes one');
  t.equal(effectiveSpec({ use: 'command', bin: 'x' }, endpoint).model_endpoint, undefined, 'and never to one that does not');
  const ir = (workers: CompiledPipeline['workers']) => ({ workers, steps: [] }) as unknown as CompiledPipeline;
  t.same(recordUpstream(ir({ a: { use: 'command', bin: 'x' } }), null), { error: 'the pipeline has no claude or codex worker: there is no model traffic to record' });
  t.same(recordUpstream(ir({ a: { use: 'codex', model_endpoint: endpoint }, b: { use: 'command', bin: 'x' } }), null), endpoint);
});

t.test("the schema's list of built-in names is the registry's", async (t) => {
  const schema = JSON.parse(readFileSync(path.join(root, 'schemas', 'pipeline.schema.json'), 'utf8'));
  t.same(schema.definitions.worker.properties.use.anyOf[0].enum, builtinWorkerNames(), 'run `npm run gen` after changing the registry');
});

t.test("a plugin module's facts are checked before the doctor reads them", async (t) => {
  const base = { name: 'mine', contract: 1, detectVersion: async () => null, resolveBin: () => 'x', invoke: () => ({}), createParser: () => ({}) };
  t.same(checkPluginShape(base), []);
  t.same(checkPluginShape({ ...base, cli: { pkg: 'mine', ranges: [{ from: '1.0.0', below: null, dialect: 'mine' }], verified: ['1.0.0'] } }), []);
  t.match(checkPluginShape({ ...base, cli: { pkg: 'mine', ranges: [{ from: 1 }], verified: ['1.0.0'] } }), [/`cli` must be/]);
  t.match(checkPluginShape({ ...base, cli: { pkg: 'mine', ranges: [], verified: [] } }), [/at least one version/]);
  t.match(checkPluginShape({ ...base, login: { homeVar: 'H', homeDir: '.h', file: 'f', keys: 'K', command: 'c' } }), [/`login` must be/]);
  t.match(checkPluginShape({ ...base, dialects: { mine: 'not a function' } }), [/`dialects` must map/]);
  t.match(checkPluginShape({ ...base, summary: 3, dialectFor: 'x' }), [/`summary`/, /`dialectFor`/]);
});
