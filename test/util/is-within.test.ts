import t from 'tap';
import path from 'node:path';
import { isWithin } from '../../engine/util/is-within.js';

t.test('a path is within itself and below itself, nowhere else', async (t) => {
  t.ok(isWithin('/a/b', '/a/b'));
  t.ok(isWithin('/a/b/c', '/a/b'));
  t.ok(isWithin('/a/b/..c', '/a/b'), 'a name that starts with two dots is below');
  t.ok(isWithin('/a', '/'), 'everything is within the root');
  t.ok(isWithin('/a/b/c', '/a/b/'), 'a trailing separator changes nothing');
  t.notOk(isWithin('/a/bc', '/a/b'), 'a sibling that shares a prefix is not');
  t.notOk(isWithin('/a', '/a/b'), 'a parent is not');
  t.notOk(isWithin('/x/y', '/a/b'));
});

t.test('the text comparison answers as path.relative does, on every kind of path', async (t) => {
  const byRelative = (inner: string, outer: string) => {
    const rel = path.relative(outer, inner);
    return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
  };
  const parts = ['a', 'ab', '.', '..', '..a', ''];
  const paths = new Set<string>(['/']);
  for (const x of parts) for (const y of parts) for (const z of ['', '/', ...parts.map((p) => `/${p}`)]) paths.add(`/${x}/${y}${z}`);
  const differ: string[] = [];
  for (const inner of paths) for (const outer of paths) if (isWithin(inner, outer) !== byRelative(inner, outer)) differ.push(`${inner} in ${outer}`);
  t.same(differ, [], `${paths.size ** 2} pairs`);
});
