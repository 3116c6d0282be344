// Module hooks that compile the TypeScript of engine/ and test/ with esbuild for test
// processes (registered by esbuild-register.mjs). Types are only stripped, as the default
// TypeScript loader does with typechecking off (`npm run typecheck` checks them), at a
// fraction of its CPU: most test files load a large part of engine/.
//
// What esbuild makes of a file is kept on disk (node_modules/.cache/engine-test-ts/), keyed
// by esbuild's version, the file's path and its text: some 140 test processes load mostly the
// same 200 modules, and after the first one a process neither starts esbuild's service nor
// waits on it. A cache that cannot be read or written only costs the compile.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TS = /\.[cm]?ts$/;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE_DIR = path.join(root, 'node_modules', '.cache', 'engine-test-ts');
const ESBUILD_VERSION = createRequire(import.meta.url)('esbuild/package.json').version;

/** `./x.js` names `./x.ts` in the sources (TypeScript's NodeNext imports). */
export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (/^\.{1,2}\//.test(specifier) && /\.[cm]?js$/.test(specifier) && parent?.startsWith('file:') && !parent.includes('/node_modules/')) {
    const url = new URL(specifier, parent);
    if (!existsSync(url)) {
      const ts = new URL(url.href.replace(/js$/, 'ts'));
      if (existsSync(ts)) return { url: ts.href, format: 'module', shortCircuit: true };
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || url.includes('/node_modules/') || !TS.test(new URL(url).pathname)) return next(url, context);
  const file = fileURLToPath(url);
  const cjs = url.endsWith('.cts');
  const code = await compiled(file, cjs);
  return { format: cjs ? 'commonjs' : 'module', source: code, shortCircuit: true };
}

/** What esbuild makes of a file: kept, or compiled now and kept. */
async function compiled(file, cjs) {
  const text = await readFile(file, 'utf8');
  const key = createHash('sha256').update(`${ESBUILD_VERSION}\0${cjs}\0${file}\0${text}`).digest('hex');
  const kept = path.join(CACHE_DIR, `${key}.js`);
  let code = readKept(kept);
  if (code === null) {
    code = await compile(text, file, cjs);
    keep(kept, code);
  }
  return code;
}

/**
 * Compiles into the cache every TypeScript file under `dirs` that it does not hold yet, all in
 * this one process, before the test processes start: on a fresh checkout the first test
 * processes each compiled the same modules, three at a time, each starting esbuild. Run by
 * `npm test`; returns how many files were compiled.
 */
export async function warmCompiled(dirs) {
  const queue = dirs.flatMap((d) => tsFiles(d));
  const before = compiles;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let f = queue.shift(); f !== undefined; f = queue.shift()) await compiled(f, f.endsWith('.cts'));
    }),
  );
  return compiles - before;
}

function tsFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : tsFiles(p);
    return TS.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** esbuild, loaded on the first file the cache does not have. */
let esbuild = null;
let compiles = 0;

async function compile(text, file, cjs) {
  esbuild ??= await import('esbuild');
  compiles++;
  const out = await esbuild.transform(text, {
    loader: 'ts',
    format: cjs ? 'cjs' : 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: file,
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
  });
  return out.code;
}

function readKept(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Written beside and renamed into place: a process reading it meanwhile sees all of it or nothing. */
function keep(file, code) {
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  } catch {
    /* a read-only tree compiles every time */
  }
}

/**
 * Drops kept files written more than `maxAgeMs` ago (an edited source leaves its old entry
 * behind); a file still in use is compiled and kept again on its next load. Run by `npm test`.
 */
export function pruneCompiled(maxAgeMs) {
  let names;
  try {
    names = readdirSync(CACHE_DIR);
  } catch {
    return;
  }
  const cutoff = Date.now() - maxAgeMs;
  for (const name of names) {
    const file = path.join(CACHE_DIR, name);
    try {
      if (statSync(file).mtimeMs < cutoff) rmSync(file, { force: true });
    } catch {
      /* gone meanwhile */
    }
  }
}
