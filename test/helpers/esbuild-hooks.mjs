// Module hooks that compile the TypeScript of engine/ and test/ with esbuild for test
// processes (registered by esbuild-register.mjs). Types are only stripped, as the default
// TypeScript loader does with typechecking off (`npm run typecheck` checks them), at a
// fraction of its CPU: most test files load a large part of engine/.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

const TS = /\.[cm]?ts$/;

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
  const out = await transform(await readFile(file, 'utf8'), {
    loader: 'ts',
    format: url.endsWith('.cts') ? 'cjs' : 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: file,
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
  });
  return { format: url.endsWith('.cts') ? 'commonjs' : 'module', source: out.code, shortCircuit: true };
}
