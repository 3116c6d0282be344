import t from 'tap';
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
