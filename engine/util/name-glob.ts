/**
 * Name globs, as policies write them for environment variables (`*_KEY`, `GIT_*`): `*` any
 * run of characters, `?` one, everything else literal, the whole name matched. A pattern is
 * compiled once: the engine tests every variable of its environment against every pattern at
 * each child it starts, which compiled afresh cost more than the rest of building the
 * environment. Kept by the glob itself, one map per case rule: a key made of both was a new
 * string at each of those tests.
 */
const compiled = { exact: new Map<string, RegExp>(), ignoringCase: new Map<string, RegExp>() };

/** Patterns kept at most (a policy names a few dozen): past this the cache starts again. */
const MAX_KEPT = 1000;

/** Whether `name` matches `glob`, case-insensitively when `ignoreCase`. Pure (memoized). */
export function matchesGlob(name: string, glob: string, ignoreCase: boolean): boolean {
  const kept = ignoreCase ? compiled.ignoringCase : compiled.exact;
  let re = kept.get(glob);
  if (!re) {
    if (kept.size >= MAX_KEPT) kept.clear();
    re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'i' : '');
    kept.set(glob, re);
  }
  return re.test(name);
}
