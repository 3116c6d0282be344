import t from 'tap';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describePlace, placeAboveError, placeInStack, placeOfLoadError } from '../../engine/workers/locate-load-error.js';

t.test('placeAboveError: Node\'s place above a syntax error, only of the file named', async (t) => {
  const text = "/p/impl.cjs:2\n  a: 1,,\n       ^\n\nSyntaxError: Unexpected token ','\n    at wrapSafe (node:internal/modules/cjs/loader:1464:18)";
  t.same(placeAboveError(text, '/p/impl.cjs'), { line: 2, col: 8 });
  t.equal(placeAboveError(text, '/p/other.cjs'), null, 'another file: no place');
  t.same(placeAboveError('[stdin]:3\n  foo(}\n      ^\n', '[stdin]'), { line: 3, col: 7 });
  t.same(placeAboveError('/p/x.js:4\nno caret here\n\n', '/p/x.js'), { line: 4, col: null }, 'no caret (a line past about a thousand characters): the line, no column');
  t.same(placeAboveError("file:///p/my%20x.mjs:2\nimport { nope } from './o.mjs';\n         ^^^^\nSyntaxError: The requested module", '/p/my x.mjs'), { line: 2, col: 10 }, 'named by its URL');
  t.same(placeAboveError('/real/x.js:3\n  a,,\n    ^\n', '/link/x.js', '/real/x.js'), { line: 3, col: 5 }, 'any of the names given');
  t.equal(describePlace('/p/x.js', { line: 4, col: null }), '/p/x.js:4');
  t.equal(describePlace('/p/x.js', { line: 4, col: 2 }), '/p/x.js:4:2');
  t.equal(placeAboveError("SyntaxError: Unexpected token '}'\n    at compileSourceTextModule (node:internal/modules/esm/utils:346:16)", '/p/x.js'), null);
  t.equal(placeAboveError('', '/p/x.js'), null);
});

t.test('placeInStack: the first frame in the file, by path or file URL; frames of other files are passed over', async (t) => {
  const file = '/p/my plugin/impl.js';
  const url = pathToFileURL(file).href;
  t.same(placeInStack(`Error: boom\n    at helper (/p/lib.js:3:9)\n    at Object.<anonymous> (${file}:5:11)\n    at Module._compile (node:internal/modules/cjs/loader:1364:14)`, file), { line: 5, col: 11 });
  t.same(placeInStack(`SyntaxError: Unexpected end of JSON input\n    at JSON.parse (<anonymous>)\n    at ${url}:1:20\n    at ModuleJob.run (node:internal/modules/esm/module_job:234:25)`, file), { line: 1, col: 20 });
  t.equal(placeInStack('Error: boom\n    at helper (/p/lib.js:3:9)', file), null);
  t.equal(placeInStack('Error: boom\n    at file:///p/%ZZ:1:1', file), null, 'a URL that does not decode is passed over');
});

t.test('placeOfLoadError: the place of what really failed, in modules Node reads both ways', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-load-error-'));
  const cases: [string, string, { line: number; col: number } | null][] = [
    ['syntax.mjs', 'export default {\n  name: "x",\n  foo(}\n};\n', { line: 3, col: 7 }],
    ['syntax.cjs', 'module.exports = {\n  a: 1,,\n};\n', { line: 2, col: 8 }],
    ['throws.mjs', '\n\nthrow new TypeError("no");\n', { line: 3, col: 7 }],
    // A module it imports is at fault: not a place in the plugin's own file.
    ['imports.mjs', 'import "./syntax.mjs";\nexport default 1;\n', null],
  ];
  for (const [name, text] of cases) writeFileSync(path.join(dir, name), text);
  for (const [name, , want] of cases) {
    const file = path.join(dir, name);
    const thrown = await import(pathToFileURL(file).href).then(
      () => null,
      (e: unknown) => e,
    );
    t.ok(thrown, `${name} fails to import`);
    t.same(await placeOfLoadError(file, thrown), want, name);
  }
  t.equal(await placeOfLoadError(path.join(dir, 'gone.mjs'), new SyntaxError('x')), null, 'a file gone meanwhile: no place, no throw');
  // Reached through a link (pnpm, npm link, macOS's /tmp): Node names the real path.
  mkdirSync(path.join(dir, 'real'));
  symlinkSync('real', path.join(dir, 'link'));
  writeFileSync(path.join(dir, 'real', 'impl.cjs'), 'return;\nmodule.exports = {\n  a: 1,,\n};\n');
  writeFileSync(path.join(dir, 'real', 'throws.mjs'), '\n\nthrow new TypeError("no");\n');
  writeFileSync(path.join(dir, 'real', 'other.mjs'), 'export const a = 1;\n');
  writeFileSync(path.join(dir, 'real', 'named.mjs'), '// p\nimport { nope } from "./other.mjs";\nexport default {};\n');
  for (const [name, want] of [['impl.cjs', { line: 3, col: 8 }], ['throws.mjs', { line: 3, col: 7 }], ['named.mjs', { line: 2, col: 10 }]] as const) {
    const file = path.join(dir, 'link', name);
    const thrown = await import(pathToFileURL(file).href).then(() => null, (e: unknown) => e);
    t.same(await placeOfLoadError(file, thrown), want, `${name} through a link`);
  }
  t.equal(await placeOfLoadError(path.join(dir, 'throws.mjs'), 'a string'), null, 'a thrown string: no place');
});
