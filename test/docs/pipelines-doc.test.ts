import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadPipeline } from '../../engine/config/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const doc = readFileSync(path.join(root, 'docs', 'pipelines.md'), 'utf8');
const blocks = [...doc.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
const pipelines = blocks.filter((b) => (parse(b) as { kind?: string } | null)?.kind === 'Pipeline');

t.ok(pipelines.length >= 3, `docs/pipelines.md has its three example pipelines (found ${pipelines.length})`);

pipelines.forEach((text, i) => {
  t.test(`example pipeline ${i + 1} (${/^name: (.*)$/m.exec(text)?.[1] ?? '?'}) validates`, async (t) => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'engine-doc-')), `example-${i + 1}.pipeline.yaml`);
    writeFileSync(file, text);
    const loaded = await loadPipeline(file);
    t.same(loaded.diagnostics.map((d) => `${d.code}@${d.line}:${d.col} ${d.message}`), []);
    t.ok(loaded.data, 'loaded');
  });
});

// The README's first pipeline, as a user copies it: it validates, and it ends with a
// checkpoint (without one, a completed run's changes never reach the branch).
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const first = [...readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).find((b) => (parse(b) as { kind?: string } | null)?.kind === 'Pipeline');
t.test("the README's first pipeline validates and checkpoints before it completes", async (t) => {
  t.ok(first, 'the README shows a pipeline');
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'engine-doc-')), 'first.pipeline.yaml');
  writeFileSync(file, first!);
  const loaded = await loadPipeline(file);
  t.same(loaded.diagnostics.map((d) => `${d.code}@${d.line}:${d.col} ${d.message}`), []);
  const steps = (parse(first!) as { steps: { id: string; type: string; next?: unknown }[] }).steps;
  t.match(steps.find((s) => s.type === 'checkpoint'), { next: { stop: 'completed' } }, 'a checkpoint step, then completed');
});
