#!/usr/bin/env node
// Generates engine/generated/*.ts from schemas/**/*.schema.json (the schemas are the source
// of truth), after writing into the pipeline schema the one part it takes from the code: the
// names of the built-in workers (`use:`), read from their plugins (engine/workers/registry.ts).
// With --check, fails when that list or a generated file is missing or stale.
import { build } from 'esbuild';
import { compileFromFile } from 'json-schema-to-typescript';
import { mkdtemp, readdir, readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schemasDir = path.join(root, 'schemas');
const outDir = path.join(root, 'engine', 'generated');
const check = process.argv.includes('--check');

const banner = '/* Generated from schemas/ by scripts/generate-types.mjs — do not edit; run `npm run gen`. */';

async function listSchemas(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) files.push(...(await listSchemas(full)));
    else if (e.name.endsWith('.schema.json')) files.push(full);
  }
  return files.sort();
}

function outName(file) {
  const rel = path.relative(schemasDir, file).replace(/\.schema\.json$/, '');
  return rel.split(path.sep).join('-') + '.ts';
}

const stale = [];
const expected = new Set();

/** The built-in workers' names and summaries, from the TypeScript sources (bundled on the fly). */
async function builtinWorkers() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'engine-gen-'));
  try {
    const outfile = path.join(dir, 'builtin-workers.mjs');
    await build({ entryPoints: [path.join(root, 'engine', 'workers', 'builtin-workers.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'error', banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
    const mod = await import(pathToFileURL(outfile).href);
    return mod.builtinWorkers().map((p) => ({ name: p.name, summary: p.summary }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The pipeline schema with `use:`'s first alternative listing the built-in workers. */
async function syncWorkerNames() {
  const file = path.join(schemasDir, 'pipeline.schema.json');
  const text = await readFile(file, 'utf8');
  const schema = JSON.parse(text);
  const builtin = schema.definitions.worker.properties.use.anyOf[0];
  const workers = await builtinWorkers();
  builtin.enum = workers.map((w) => w.name);
  builtin.description = `A built-in plugin (engine/workers/registry.ts): ${workers.map((w) => `${w.name} ${w.summary}`).join('; ')}.`;
  const next = `${JSON.stringify(schema, null, 2)}\n`;
  if (next === text) return;
  if (check) stale.push('schemas/pipeline.schema.json (built-in worker names)');
  else await writeFile(file, next);
}

await syncWorkerNames();
for (const file of await listSchemas(schemasDir)) {
  const name = outName(file);
  expected.add(name);
  const ts = await compileFromFile(file, {
    cwd: path.dirname(file),
    bannerComment: banner,
    additionalProperties: false,
    strictIndexSignatures: false,
    unreachableDefinitions: true,
    style: { singleQuote: true, printWidth: 110 },
  });
  const target = path.join(outDir, name);
  if (check) {
    const current = await readFile(target, 'utf8').catch(() => null);
    if (current !== ts) stale.push(name);
  } else {
    await mkdir(outDir, { recursive: true });
    await writeFile(target, ts);
  }
}
const present = (await readdir(outDir).catch(() => [])).filter((n) => n.endsWith('.ts'));
for (const name of present) {
  if (!expected.has(name)) {
    if (check) stale.push(`${name} (no schema)`);
    else await rm(path.join(outDir, name));
  }
}
if (check && stale.length) {
  console.error(`generated types are stale: ${stale.join(', ')}\nrun: npm run gen`);
  process.exit(1);
}
if (!check) console.error(`generated ${expected.size} type files in engine/generated/`);
