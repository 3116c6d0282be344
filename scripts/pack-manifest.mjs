#!/usr/bin/env node
// `npm pack` and `npm publish` run `prepack`, then pack the package.json on disk, then run
// `postpack`. The packed package.json leaves out the `prepare` script: it builds the engine
// from its TypeScript sources with the devDependencies, which an installed package has
// neither of, and npm 11 lists a dependency's `prepare` among the install scripts for the user
// to approve at every install (an install from the registry or a tarball never runs it). The
// checkout keeps it: `npm install` there, and an install from a git URL, build the engine.
//
// `strip` (prepack) keeps the file as it was beside it and writes the packed one; `restore`
// (postpack) puts the kept one back. A kept file left by a pack that was cut short is put back
// first, so the checkout's package.json is never lost.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const manifest = path.join(root, 'package.json');
const kept = path.join(root, '.package.json.packing');

/** package.json's text without the scripts an installed package must not carry. Pure. */
export function packedManifest(text) {
  const pkg = JSON.parse(text);
  for (const name of ['prepare', 'prepack', 'postpack']) delete pkg.scripts?.[name];
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

function restore() {
  if (existsSync(kept)) renameSync(kept, manifest);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const verb = process.argv[2];
  if (verb === 'strip') {
    restore();
    const text = readFileSync(manifest, 'utf8');
    writeFileSync(kept, text);
    writeFileSync(manifest, packedManifest(text));
  } else if (verb === 'restore') {
    restore();
  } else {
    console.error('usage: node scripts/pack-manifest.mjs strip|restore');
    process.exit(2);
  }
}
