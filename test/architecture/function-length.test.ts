import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * No function in engine/ (generated code aside) is longer than 80 lines, so each reads on one
 * screen and a long one is split into named stages (docs/architecture.md).
 */
const LIMIT = 80;

/** Every function, method, arrow and function expression of a source text longer than `limit` lines. Pure. */
function longFunctions(file: string, text: string, limit: number): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isMethodDeclaration(n)) {
      const first = sf.getLineAndCharacterOfPosition(n.getStart()).line;
      const last = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
      const named = n.name ?? (ts.isVariableDeclaration(n.parent) ? n.parent.name : undefined);
      if (last - first + 1 > limit) found.push(`${file}:${first + 1} ${named?.getText(sf) ?? '(anonymous)'}: ${last - first + 1} lines`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' ? [] : sourcesUnder(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

const engineDir = fileURLToPath(new URL('../../engine/', import.meta.url));

t.test(`no function in engine/ is longer than ${LIMIT} lines`, async (t) => {
  const files = sourcesUnder(engineDir);
  t.ok(files.length > 150, `${files.length} source files read`);
  t.same(files.flatMap((f) => longFunctions(path.relative(engineDir, f), readFileSync(f, 'utf8'), LIMIT)), []);
});

t.test('a long function, a long method and a long arrow are each found', async (t) => {
  const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');
  const text = [
    `export function long() {\n${body(80)}\n}`,
    `export function short() {\n${body(78)}\n}`,
    `class C {\n  m() {\n${body(85)}\n  }\n}`,
    `export const arrow = () => {\n${body(90)}\n};`,
  ].join('\n');
  t.same(
    longFunctions('x.ts', text, LIMIT).map((s) => s.replace(/:\d+ /, ' ')),
    ['x.ts long: 82 lines', 'x.ts m: 87 lines', 'x.ts arrow: 92 lines'],
  );
});
