#!/usr/bin/env node
// Generates engine/generated/*.ts from schemas/**/*.schema.json (the schemas are the source
// of truth). With --check, fails when a generated file is missing or stale.
import { compileFromFile } from 'json-schema-to-typescript';
import { readdir, readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
