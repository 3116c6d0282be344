import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { defaultPolicyFile, explainPolicy, hashPolicy, parseSet, resolvePolicy, schemaFile } from '../../engine/config/index.js';

/** A repo dir with a .engine/policy.yaml and two --policy files. */
function setup(t: Test): string {
  return t.testdir({
    repo: { '.engine': { 'policy.yaml': 'apiVersion: engine/v1\nkind: Policy\nbudgets:\n  max_ticks: 40\n  time_min: 30\ngovernance:\n  allowed_roots: ["src/**"]\n' } },
    'a.policy.yaml': 'apiVersion: engine/v1\nkind: Policy\nbudgets:\n  time_min: 20\n  review_rounds: 5\n',
    'b.policy.yaml': 'apiVersion: engine/v1\nkind: Policy\nbudgets:\n  review_rounds: 7\ngovernance:\n  protected: ["secrets/**"]\n',
  });
}

t.test('four layers: default < repo < each --policy < each --set', async (t) => {
  const cwd = setup(t);
  const r = await resolvePolicy({ repo: 'repo', files: ['a.policy.yaml', 'b.policy.yaml'], sets: ['budgets.max_ticks=99', 'budgets.parse_retries=4', 'budgets.max_ticks=100'], cwd });
  t.same(r.diagnostics, []);
  const p = r.policy!;
  t.equal(p.budgets.max_ticks, 100, 'last --set wins over the repo file');
  t.equal(p.budgets.time_min, 20, '--policy a over the repo file');
  t.equal(p.budgets.review_rounds, 7, '--policy b over --policy a');
  t.equal(p.budgets.parse_retries, 4, '--set over the default');
  t.equal(p.budgets.worker_calls_per_milestone, 6, 'default where no layer speaks');
  t.same(p.governance.allowed_roots, ['src/**'], 'lists replace');
  t.same(p.governance.protected, ['.git/**', '.engine/**', 'secrets/**'], 'the fixed protected paths stay');
  t.same(r.layers.map((l) => l.source), ['default', 'repo', '--policy', '--policy', '--set', '--set', '--set']);
  t.same(r.provenance.get('budgets.max_ticks'), { source: '--set', flag: 'budgets.max_ticks=100' });
  t.same(r.provenance.get('budgets.time_min'), { source: '--policy', file: 'a.policy.yaml', line: 4, col: 13 });
  t.same(r.provenance.get('governance.allowed_roots'), { source: 'repo', file: path.join('repo', '.engine', 'policy.yaml'), line: 7, col: 18 });
  t.equal(r.provenance.get('budgets.worker_calls_per_milestone')?.source, 'default');
  t.equal(r.provenance.get('budgets.worker_calls_per_milestone')?.file, defaultPolicyFile);
  t.match(r.hash, /^sha256:[0-9a-f]{64}$/);
});

t.test('.git/** and .engine/** stay protected even when a layer empties the list', async (t) => {
  const cwd = t.testdir({});
  const r = await resolvePolicy({ files: [], sets: ['governance.protected=[]'], cwd });
  t.same(r.policy!.governance.protected, ['.git/**', '.engine/**']);
});

t.test('a --set with a flow list, a map, null and a string', async (t) => {
  const cwd = t.testdir({});
  const r = await resolvePolicy({
    files: [],
    sets: ['governance.allowed_roots=["src/**", "test/**"]', 'verification.tiers.tier0={commands: [npm test], timeout_s: 90}', 'budgets.cost_usd=2.5', 'git.author=Ada <ada@example.com>', 'budgets.cost_usd=null'],
    cwd,
  });
  t.same(r.diagnostics, []);
  t.same(r.policy!.governance.allowed_roots, ['src/**', 'test/**']);
  t.same(r.policy!.verification.tiers.tier0, { commands: ['npm test'], timeout_s: 90 });
  t.equal(r.policy!.budgets.cost_usd, null);
  t.equal(r.policy!.git.author, 'Ada <ada@example.com>');
  t.equal(r.provenance.get('verification.tiers.tier0.commands')?.source, '--set');
});

t.test('bad --set: unknown key with a hint, wrong type, malformed flag', async (t) => {
  const cwd = t.testdir({});
  const r = await resolvePolicy({ files: [], sets: ['budgets.max_tiks=40', 'budgets.max_ticks=ten', 'nonsense', 'governance.allowd_roots=[]'], cwd });
  t.equal(r.policy, null);
  t.equal(r.hash, '');
  t.same(r.diagnostics.map((d) => `${d.code}@${d.file}`), ['E_UNKNOWN_KEY@--set', 'E_SCHEMA@--set', 'E_USAGE@--set', 'E_UNKNOWN_KEY@--set']);
  t.equal(r.diagnostics[0]!.hint, 'did you mean `max_ticks`?');
  t.equal(r.diagnostics[3]!.hint, 'did you mean `allowed_roots`?');
  t.match(r.diagnostics[1]!.message, '`budgets.max_ticks` must be integer, got string "ten"');
});

t.test('a broken layer is reported at its own positions; a non-policy file is E_KIND', async (t) => {
  const cwd = t.testdir({
    'bad.policy.yaml': 'apiVersion: engine/v1\nkind: Policy\nbudgets:\n  max_ticks: -3\n',
    'pipe.yaml': 'apiVersion: engine/v1\nkind: Pipeline\n',
  });
  const r = await resolvePolicy({ files: ['bad.policy.yaml', 'pipe.yaml', 'missing.yaml'], sets: [], cwd });
  t.same(r.diagnostics.map((d) => `${d.file}:${d.code}@${d.line}:${d.col}`), ['bad.policy.yaml:E_SCHEMA@4:14', 'pipe.yaml:E_KIND@2:7', `missing.yaml:E_FILE@0:0`]);
  t.equal(r.policy, null);
});

t.test('the hash ignores file keys and formatting, and changes with a value', async (t) => {
  const cwd = t.testdir({ 'same.policy.yaml': '# a comment\nkind: Policy\napiVersion: engine/v1\nbudgets: {max_ticks: 200}\n' });
  const plain = await resolvePolicy({ files: [], sets: [], cwd });
  const same = await resolvePolicy({ files: ['same.policy.yaml'], sets: ['budgets.time_min=60'], cwd });
  const other = await resolvePolicy({ files: [], sets: ['budgets.time_min=61'], cwd });
  t.equal(same.hash, plain.hash);
  t.not(other.hash, plain.hash);
  t.equal(hashPolicy({ b: 1, a: { d: 2, c: 3 } }), hashPolicy({ kind: 'Policy', a: { c: 3, d: 2 }, b: 1 }));
});

t.test('the schema defaults are exactly the built-in default policy', async (t) => {
  const schema = JSON.parse(readFileSync(schemaFile('policy'), 'utf8')) as SchemaNode;
  const builtIn = parse(readFileSync(defaultPolicyFile, 'utf8')) as Record<string, unknown>;
  const fromSchema = defaultsOf(schema) as Record<string, unknown>;
  t.same(fromSchema, builtIn);
  // and every property is described and closed
  const walk = (node: SchemaNode, at: string): void => {
    if (node.type === 'object' || node.properties) t.equal(node.additionalProperties, false, `${at} is closed`);
    for (const [k, v] of Object.entries(node.properties ?? {})) {
      t.ok(v.description, `${at}.${k} has a description`);
      walk(v, `${at}.${k}`);
    }
    if (node.items) walk(node.items, `${at}[]`);
  };
  walk(schema, 'policy');
});

t.test('every effective leaf is explained', async (t) => {
  const cwd = setup(t);
  const r = await resolvePolicy({ repo: 'repo', files: [], sets: [], cwd });
  const explained = explainPolicy(r.policy as unknown as Record<string, unknown>, r.provenance);
  t.equal(explained.length, 57, 'every leaf of the schema');
  t.ok(explained.every((e) => e.from !== undefined), 'no leaf without an origin');
  t.same(explained.find((e) => e.key === 'budgets.max_ticks'), { key: 'budgets.max_ticks', value: 40, from: { source: 'repo', file: path.join('repo', '.engine', 'policy.yaml'), line: 4, col: 14 } });
});

t.test('parseSet', async (t) => {
  const cases: [string, unknown][] = [
    ['budgets.max_ticks=40', { path: ['budgets', 'max_ticks'], value: 40 }],
    ['explore.mode=on', { path: ['explore', 'mode'], value: 'on' }],
    ['governance.allow_deps=true', { path: ['governance', 'allow_deps'], value: true }],
    ['budgets.cost_usd=', { path: ['budgets', 'cost_usd'], value: null }],
    ['governance.allowed_roots=["src/**"]', { path: ['governance', 'allowed_roots'], value: ['src/**'] }],
    ['git.author=a: b', { path: ['git', 'author'], value: 'a: b' }],
    ['x.y=a=b', { path: ['x', 'y'], value: 'a=b' }],
  ];
  for (const [text, expected] of cases) t.match(parseSet(text), expected, text);
  t.match(parseSet('novalue'), { code: 'E_USAGE', file: '--set' });
  t.match(parseSet('a..b=1'), { code: 'E_USAGE' });
  // Unclosed and 3,000 deep: the parser's stack overflow was the message.
  t.match(parseSet(`budgets.max_ticks=${'['.repeat(3000)}`), { code: 'E_YAML', file: '--set', message: '--set budgets.max_ticks: the value is nested more than 200 levels deep; a policy value never needs this [NESTING]' });
  t.match(parseSet(`budgets.max_ticks=${'{a: '.repeat(250)}1${'}'.repeat(250)}`), { code: 'E_YAML', message: /nested more than 200 levels/ });
  t.match(parseSet('a.b=[1, 2'), { code: 'E_YAML' });
  // A hostile review: each of these was exit 70 (an alias), or a value the run could not hold
  // (Infinity, written as null in state.json: resume refused the run; a NUL byte at a spawn).
  t.match(parseSet('budgets.max_ticks=*x'), { code: 'E_YAML', file: '--set', message: /^--set budgets\.max_ticks: the value is not valid YAML: .*alias/i });
  const bomb = `governance.allowed_roots=[${Array.from({ length: 12 }, (_, i) => `&a${i} [${i ? Array(10).fill(`*a${i - 1}`).join(',') : 'x'}]`).join(', ')}]`;
  t.match(parseSet(bomb), { code: 'E_YAML', message: /not valid YAML: .*alias/i });
  for (const v of ['1e400', '.inf', '-.inf', '.nan', '[1, 1e999]', '{a: .inf}']) t.match(parseSet(`budgets.max_ticks=${v}`), { code: 'E_YAML', message: /not finite .*\[NOT_JSON\]$/ }, v);
  for (const v of ['"true\\0x"', '["a\\0b"]', '{"x\\0y": 1}']) t.match(parseSet(`verification.tiers.tier0.commands=${v}`), { code: 'E_YAML', message: /NUL byte .*\[NUL\]$/ }, v);
  t.match(parseSet('git.author="a\\0 <a@b>"'), { code: 'E_YAML', message: /\[NUL\]$/ });
});

interface SchemaNode {
  type?: string | string[];
  default?: unknown;
  description?: string;
  additionalProperties?: unknown;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

function defaultsOf(node: SchemaNode): unknown {
  if (node.properties && node.type === 'object') {
    return Object.fromEntries(Object.entries(node.properties).flatMap(([k, v]) => {
      const d = defaultsOf(v);
      return d === undefined ? [] : [[k, d]];
    }));
  }
  return node.default;
}
