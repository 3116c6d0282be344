import path from 'node:path';

/** A separator followed by nothing, by another, or by a `.` or `..` segment. */
const NOT_PLAIN = /\/(?:\.{1,2})?(?:\/|$)/;

/**
 * `inner` is `outer` or lies inside it, both absolute and normalized (no links resolved here).
 * Plain absolute paths (no `.`, `..`, doubled or trailing separator) are compared as text, the
 * rest through path.relative (the sandbox asks this for every grant and watched path). Pure.
 */
export function isWithin(inner: string, outer: string): boolean {
  if (path.sep === '/' && inner.startsWith('/') && outer.startsWith('/') && !NOT_PLAIN.test(inner) && !NOT_PLAIN.test(outer)) {
    return inner === outer || inner.startsWith(`${outer}/`);
  }
  const rel = path.relative(outer, inner);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}
