import t from 'tap';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The rooms of engine/, top to bottom (docs/architecture.md). A file may import only from its
 * own room or from a room on a lower line: arrows point down, never up or sideways.
 * Files directly in engine/ are rooms of their own, named by file.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['cli', 'plugin.ts'],
  ['suite'],
  ['runtime'],
  ['report', 'doctor'],
  ['record', 'verify'],
  ['workers', 'stub', 'governance'],
  ['store', 'sandbox'],
  ['git', 'config'],
  ['proc'],
  ['compile', 'kpi'],
  ['vocabulary', 'generated', 'util', 'paths.ts'],
  ['version.ts'],
];

interface Arrow {
  from: string;
  to: string;
  file: string;
  spec: string;
}

/** Every relative import (static, dynamic, re-export) between rooms of the tree at `root`. */
function arrowsOf(root: string): Arrow[] {
  const arrows: Arrow[] = [];
  const roomOf = (abs: string) => path.relative(root, abs).split(path.sep)[0]!;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.\.?\/[^'"]+)['"]/g)) {
          const from = roomOf(p);
          const to = roomOf(path.resolve(path.dirname(p), m[1]!)).replace(/\.js$/, '.ts');
          if (from !== to) arrows.push({ from, to, file: path.relative(root, p), spec: m[1]! });
        }
      }
    }
  };
  walk(root);
  return arrows;
}

/** The arrows that do not point down, and rooms the layer list does not name. Pure. */
function wrongArrows(arrows: readonly Arrow[]): string[] {
  const level = new Map(LAYERS.flatMap((rooms, i) => rooms.map((r) => [r, i] as const)));
  const wrong: string[] = [];
  for (const a of arrows) {
    const from = level.get(a.from);
    const to = level.get(a.to);
    if (from === undefined || to === undefined) wrong.push(`${a.file}: room ${from === undefined ? a.from : a.to} is in no layer`);
    else if (to <= from) wrong.push(`${a.file} imports ${a.spec}: ${a.from} → ${a.to} points ${to === from ? 'sideways' : 'up'}`);
  }
  return wrong;
}

const engineDir = fileURLToPath(new URL('../../engine/', import.meta.url));

t.test('every import in engine/ points down the layers', async (t) => {
  const arrows = arrowsOf(engineDir);
  t.ok(arrows.length > 300, `the scan sees the house (${arrows.length} arrows between rooms)`);
  t.same(wrongArrows(arrows), []);
});

t.test('every room of engine/ is in a layer', async (t) => {
  const rooms = readdirSync(engineDir).filter((n) => !n.endsWith('.map'));
  const named = new Set(LAYERS.flat());
  t.same(rooms.filter((r) => !named.has(r)), []);
});

t.test('an upward or sideways import is caught', async (t) => {
  const root = t.testdir({});
  const put = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  put('git/run-git.ts', "import { EXIT } from '../vocabulary/exit-codes.js';\n");
  put('git/snapshot.ts', "import type { Runtime } from '../runtime/types.js';\nimport { runGit } from './run-git.js';\n");
  put('store/atomic.ts', "export const load = () => import('../sandbox/wrap.js');\n");
  put('runtime/types.ts', "export { snapshot } from '../git/snapshot.js';\n");
  put('vocabulary/exit-codes.ts', 'export const EXIT = {};\n');
  t.same(wrongArrows(arrowsOf(root)), [
    'git/snapshot.ts imports ../runtime/types.js: git → runtime points up',
    'store/atomic.ts imports ../sandbox/wrap.js: store → sandbox points sideways',
  ]);
});
