import path from 'node:path';

/** `inner` is `outer` or lies inside it, both absolute and normalized (no links resolved here). Pure. */
export function isWithin(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}
