import t from 'tap';
import type { Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfigSnapshot, writeConfigSnapshot, type GatheredFile } from '../../engine/runtime/snapshot-config.js';

// The config snapshot syncs its manifest only (decision 0007): the manifest carries every
// file's content, so a file a machine crash lost (missing, or empty: its data never reached
// the disk) comes back from it on resume; a file changed in any other way is still refused.

const files: GatheredFile[] = [
  { entry: { file: 'pipeline.yaml', role: 'pipeline', source: 'pipeline', origin: '/x/p.yaml' }, content: 'apiVersion: engine/v1\n' },
  { entry: { file: 'policy/0-default.policy.yaml', role: 'policy', source: 'default', origin: '/x/d.yaml' }, content: 'kind: Policy\n' },
  { entry: { file: 'templates/plan.md', role: 'template', source: 'engine', origin: '/x/plan.md' }, content: '# plan {{goal}}\n' },
];

function runDir(t: Test): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeConfigSnapshot(dir, files, ['a=b']);
  return dir;
}

t.test('a whole snapshot reads back as written', async (t) => {
  const dir = runDir(t);
  const read = readConfigSnapshot(dir);
  t.ok(read && 'files' in read);
  if (!read || !('files' in read)) return;
  t.same(read.files.map((f) => [f.entry.file, f.content]), files.map((f) => [f.entry.file, f.content]));
  t.same(read.manifest.sets, ['a=b']);
});

t.test('a file a crash lost (missing) or left empty is written back from the manifest', async (t) => {
  const dir = runDir(t);
  rmSync(path.join(dir, 'config', 'templates', 'plan.md'));
  writeFileSync(path.join(dir, 'config', 'policy', '0-default.policy.yaml'), '');
  const read = readConfigSnapshot(dir);
  t.ok(read && "files" in read, "the snapshot reads");
  t.equal(readFileSync(path.join(dir, 'config', 'templates', 'plan.md'), 'utf8'), '# plan {{goal}}\n');
  t.equal(readFileSync(path.join(dir, 'config', 'policy', '0-default.policy.yaml'), 'utf8'), 'kind: Policy\n');
});

t.test('a file changed any other way is refused, naming it', async (t) => {
  const dir = runDir(t);
  appendFileSync(path.join(dir, 'config', 'policy', '0-default.policy.yaml'), '# edited\n');
  const read = readConfigSnapshot(dir);
  t.match(read, { error: /config snapshot was changed since the engine wrote it/, file: /0-default\.policy\.yaml$/ });
});

t.test('a manifest whose copy was edited too does not vouch for an emptied file', async (t) => {
  const dir = runDir(t);
  const manifestFile = path.join(dir, 'config', 'manifest.json');
  const m = JSON.parse(readFileSync(manifestFile, 'utf8'));
  m.contents['pipeline.yaml'] = 'forged\n';
  writeFileSync(manifestFile, JSON.stringify(m));
  writeFileSync(path.join(dir, 'config', 'pipeline.yaml'), '');
  t.match(readConfigSnapshot(dir), { error: /pipeline\.yaml/ });
});
