import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../../engine/config/index.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/config/broken');

/** Every broken fixture and the exact diagnostics it must produce, as CODE@line:col in order. */
const cases: Record<string, string[]> = {
  'command-without-bin.pipeline.yaml': ['E_SCHEMA@7:5'],
  'empty.yaml': ['E_KIND@1:1'],
  'kind-missing.yaml': ['E_KIND@1:1'],
  'kind-not-a-map.yaml': ['E_KIND@1:1'],
  'kind-unknown.yaml': ['E_KIND@2:7'],
  'pipeline-anchor-alias.pipeline.yaml': ['E_UNKNOWN_KEY@6:5'],
  'pipeline-actions-habits.pipeline.yaml': ['E_UNKNOWN_KEY@6:5', 'E_SCHEMA@8:10', 'E_UNKNOWN_KEY@12:5', 'E_UNKNOWN_KEY@14:5', 'E_UNKNOWN_KEY@17:5', 'E_UNKNOWN_KEY@18:5', 'E_UNKNOWN_KEY@19:5', 'E_UNKNOWN_KEY@24:5', 'E_UNKNOWN_KEY@29:5'],
  'pipeline-bad-worker-name.pipeline.yaml': ['E_SCHEMA@4:3', 'E_SCHEMA@5:10', 'E_SCHEMA@7:8'],
  'pipeline-missing-required.pipeline.yaml': ['E_SCHEMA@1:1', 'E_SCHEMA@1:1', 'E_SCHEMA@1:1'],
  'pipeline-step-errors.pipeline.yaml': ['E_UNKNOWN_KEY@6:5', 'E_SCHEMA@12:12', 'E_SCHEMA@14:9', 'E_UNKNOWN_KEY@18:7', 'E_SCHEMA@19:13'],
  'pipeline-unknown-worker.pipeline.yaml': ['E_UNKNOWN_WORKER@10:13'],
  'pipeline-wrong-kind.pipeline.yaml': ['E_SCHEMA@3:10', 'E_SCHEMA@4:8', 'E_SCHEMA@8:10', 'E_SCHEMA@9:32', 'E_SCHEMA@9:54'],
  'policy-bad-enum.policy.yaml': ['E_SCHEMA@4:9'],
  'policy-many.policy.yaml': ['E_SCHEMA@2:13', 'E_SCHEMA@5:15', 'E_UNKNOWN_KEY@8:5', 'E_SCHEMA@11:17', 'E_SCHEMA@12:17', 'E_SCHEMA@14:13', 'E_SCHEMA@16:11', 'E_UNKNOWN_KEY@17:1'],
  'policy-null-section.policy.yaml': ['E_SCHEMA@3:1', 'E_SCHEMA@5:11'],
  'policy-risk-trigger.policy.yaml': ['E_SCHEMA@7:13', 'E_SCHEMA@8:7', 'E_SCHEMA@10:14'],
  'policy-top-typo.policy.yaml': ['E_UNKNOWN_KEY@3:1', 'E_UNKNOWN_KEY@5:1'],
  'policy-typo-key.policy.yaml': ['E_UNKNOWN_KEY@4:3'],
  'policy-wrong-type.policy.yaml': ['E_SCHEMA@4:14'],
  'task-bad-values.task.yaml': ['E_SCHEMA@3:7', 'E_SCHEMA@4:12', 'E_SCHEMA@5:9', 'E_SCHEMA@6:7'],
  'task-kind-collision.task.yaml': ['E_KIND@2:7'],
  'task-missing-goal.task.yaml': ['E_SCHEMA@1:1'],
  'task-missing-scenario.task.yaml': ['E_FILE@4:11', 'E_SCHEMA@5:17', 'E_SCHEMA@5:38'],
  'task-typo-allowed-roots.task.yaml': ['E_UNKNOWN_KEY@4:1'],
  'task-unicode-columns.task.yaml': ['E_SCHEMA@4:11'],
  'yaml-bad-indent.pipeline.yaml': ['E_YAML@6:1'],
  'yaml-duplicate-key.policy.yaml': ['E_YAML@6:3'],
  'yaml-tab-indent.task.yaml': ['E_YAML@5:1'],
  'yaml-two-documents.task.yaml': ['E_YAML@4:1'],
  'yaml-two-errors.policy.yaml': ['E_YAML@5:3', 'E_YAML@8:1'],
  'yaml-unclosed-flow.policy.yaml': ['E_YAML@5:1'],
};

t.test('every fixture in broken/ has an expectation, and there are at least 25', async (t) => {
  t.same(readdirSync(dir).sort(), Object.keys(cases).sort());
  t.ok(Object.keys(cases).length >= 25);
});

for (const [name, expected] of Object.entries(cases)) {
  t.test(name, async (t) => {
    const loaded = await loadConfigFile(path.join(dir, name));
    t.same(
      loaded.diagnostics.map((d) => `${d.code}@${d.line}:${d.col}`),
      expected,
    );
    t.equal(loaded.data, null, 'a file with errors has no data');
    for (const d of loaded.diagnostics) {
      t.equal(d.file, path.join(dir, name));
      t.equal(d.severity, 'error');
      t.notMatch(d.message, /\n|at .*\.js:\d+/, 'one line, no stack');
    }
  });
}

t.test('hints name the key a typo was meant to be', async (t) => {
  const hintOf = async (name: string) => (await loadConfigFile(path.join(dir, name))).diagnostics.map((d) => d.hint);
  t.same(await hintOf('task-typo-allowed-roots.task.yaml'), ['did you mean `allowed_roots`?']);
  t.same(await hintOf('policy-typo-key.policy.yaml'), ['did you mean `allowed_roots`?']);
  t.same(await hintOf('policy-top-typo.policy.yaml'), ['did you mean `budgets`?', 'did you mean `kpi_targets`?']);
  t.same((await hintOf('pipeline-step-errors.pipeline.yaml'))[3], 'did you mean `pass`?');
  t.same(await hintOf('kind-unknown.yaml'), ['did you mean `Pipeline`?']);
});

t.test('messages name the path, the expectation and what was found', async (t) => {
  const messages = async (name: string) => (await loadConfigFile(path.join(dir, name))).diagnostics.map((d) => d.message);
  t.same(await messages('policy-wrong-type.policy.yaml'), ['`budgets.max_ticks` must be integer, got string "ten"']);
  t.same(await messages('policy-bad-enum.policy.yaml'), ['`explore.mode` must be one of `auto`, `on` or `off`, got string "sometimes"']);
  t.same((await messages('pipeline-step-errors.pipeline.yaml'))[4], '`steps[1].on.fail` must be string or object, got integer 5');
  t.same(await messages('task-missing-goal.task.yaml'), ['missing required key `goal`']);
  // An empty file (a truncated save, `> policy.yaml`) was told it misses `kind` alone.
  t.same(await messages('empty.yaml'), ['the file is empty (no mapping in it, only comments or nothing): a config file is a mapping with `apiVersion: engine/v1` and `kind` (one of `Pipeline`, `Policy`, `Task`, `Scenario`)']);
  t.same(await messages('kind-missing.yaml'), ['missing `kind`: a config file declares one of `Pipeline`, `Policy`, `Task`, `Scenario`']);
  const asPolicy = await loadConfigFile(path.join(dir, 'empty.yaml'), { expectKind: 'Policy' });
  t.same(asPolicy.diagnostics.map((d) => d.hint), ['start it with `apiVersion: engine/v1` and `kind: Policy`']);
});

t.test('an unreadable file is E_FILE without a position', async (t) => {
  const loaded = await loadConfigFile(path.join(dir, 'no-such-file.yaml'));
  t.same(loaded.diagnostics.map((d) => `${d.code}@${d.line}:${d.col}`), ['E_FILE@0:0']);
  const asDir = await loadConfigFile(dir);
  t.same(asDir.diagnostics.map((d) => d.code), ['E_FILE']);
});

t.test('a FIFO or a device as a config file is E_FILE at once, never a wait for a writer', async (t) => {
  // A task file's `scenario`, a suite task, a policy layer: a FIFO there held the engine for ever.
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'engine-fifo-config-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const fifo = path.join(tmp, 'policy.yaml');
  execFileSync('mkfifo', [fifo]);
  const loaded = await loadConfigFile(fifo);
  t.same(loaded.diagnostics.map((d) => d.code), ['E_FILE']);
  t.match(loaded.diagnostics[0]!.message, /not a regular file/);
  const device = await loadConfigFile('/dev/zero');
  t.match(device.diagnostics[0]!.message, /not a regular file/, 'a device that never ends, too');
});

t.test('expectKind refuses a file of another kind', async (t) => {
  const loaded = await loadConfigFile(path.join(dir, '../../../../policies/default.policy.yaml'), { expectKind: 'Pipeline' });
  t.same(loaded.diagnostics.map((d) => `${d.code}@${d.line}:${d.col}`), ['E_KIND@5:7']);
});

t.test('the shipped default files are valid', async (t) => {
  for (const f of ['pipelines/default.pipeline.yaml', 'policies/default.policy.yaml']) {
    const loaded = await loadConfigFile(path.resolve(dir, '../../../..', f));
    t.same(loaded.diagnostics, [], f);
    t.ok(loaded.data, f);
  }
});

// A new user's probe: a task whose goal held Latin-1 bytes passed `validate` (decoded to
// U+FFFD), a UTF-16 file was "a config file is a mapping…, got a string", a directory was
// "a FIFO or a device", and a 150 MB policy took `validate` to a 4 GB heap and an abort.
t.test('encodings: Latin-1 bytes and UTF-16 are E_ENCODING with where; a UTF-8 BOM is fine', async (t) => {
  const tmp = t.testdir({
    'latin1.task.yaml': Buffer.concat([Buffer.from('apiVersion: engine/v1\nkind: Task\nname: t\ngoal: caf'), Buffer.from([0xe9]), Buffer.from(' au lait\n')]),
    'utf16.policy.yaml': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('apiVersion: engine/v1\nkind: Policy\n', 'utf16le')]),
    'bom.policy.yaml': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('apiVersion: engine/v1\nkind: Policy\n')]),
  });
  const latin1 = await loadConfigFile(path.join(tmp, 'latin1.task.yaml'));
  t.same(latin1.diagnostics.map((d) => `${d.code}@${d.line}:${d.col}`), ['E_ENCODING@4:10']);
  t.match(latin1.diagnostics[0]!.message, /byte 0xe9 is not UTF-8/);
  const utf16 = await loadConfigFile(path.join(tmp, 'utf16.policy.yaml'));
  t.same(utf16.diagnostics.map((d) => `${d.code}@${d.line}:${d.col}`), ['E_ENCODING@1:1']);
  t.match(utf16.diagnostics[0]!.message, /UTF-16/);
  t.same((await loadConfigFile(path.join(tmp, 'bom.policy.yaml'))).diagnostics, []);
});

t.test('a directory is said to be one; a file over 8 MiB is refused before it is read', async (t) => {
  const asDir = await loadConfigFile(dir);
  t.match(asDir.diagnostics[0]!.message, /it is a directory, not a file/);
  const tmp = t.testdir({});
  const big = path.join(tmp, 'big.policy.yaml');
  writeFileSync(big, `apiVersion: engine/v1\nkind: Policy\n# ${'x'.repeat(9 * 1024 * 1024)}\n`);
  const loaded = await loadConfigFile(big);
  t.same(loaded.diagnostics.map((d) => d.code), ['E_FILE']);
  t.match(loaded.diagnostics[0]!.message, /at most 8,388,608 \(8 MiB\)/);
});
