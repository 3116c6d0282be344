import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// @ts-expect-error: a plain ES module of the test helpers, without types
import { warmCompiled } from '../helpers/esbuild-hooks.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

t.test('npm test compiles each TypeScript file once, before the test processes load it', async (t) => {
  // Inside the repo, where the load hook compiles (it leaves node_modules alone).
  mkdirSync(path.join(root, '.tap'), { recursive: true });
  const dir = mkdtempSync(path.join(root, '.tap', 'warm-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'sub'));
  writeFileSync(path.join(dir, 'a.ts'), `export const a: number = ${Date.now()};\n`);
  writeFileSync(path.join(dir, 'sub', 'b.ts'), `import { a } from '../a.js';\nexport const b: string = String(a) + '${process.pid}';\n`);
  writeFileSync(path.join(dir, 'types.d.ts'), 'export type X = number;\n');
  t.equal(await warmCompiled([dir]), 2, 'two files compiled (a declaration file is not a module to load)');
  t.equal(await warmCompiled([dir]), 0, 'kept: nothing compiled again');
  const b = (await import(pathToFileURL(path.join(dir, 'sub', 'b.ts')).href)) as { b: string };
  t.match(b.b, new RegExp(`^\\d+${process.pid}$`), 'what the hook loads runs');
  writeFileSync(path.join(dir, 'a.ts'), 'export const a: number = 1;\n');
  t.equal(await warmCompiled([dir]), 1, 'an edited file is compiled again');
});
