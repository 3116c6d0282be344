/**
 * Name globs, as policies write them for environment variables (`*_KEY`, `GIT_*`): `*` any
 * run of characters, `?` one, everything else literal, the whole name matched. A pattern is
 * compiled once: the engine tests every variable of its environment against every pattern at
 * each child it starts, which compiled afresh cost more than the rest of building the
 * environment.
 */
const compiled = new Map<string, RegExp>();

/** Patterns kept at most (a policy names a few dozen): past this the cache starts again. */
const MAX_KEPT = 1000;

/** Whether `name` matches `glob`, case-insensitively when `ignoreCase`. Pure (memoized). */
export function matchesGlob(name: string, glob: string, ignoreCase: boolean): boolean {
  const key = `${ignoreCase ? 'i' : 's'}${glob}`;
  let re = compiled.get(key);
  if (!re) {
    if (compiled.size >= MAX_KEPT) compiled.clear();
    re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'i' : '');
    compiled.set(key, re);
  }
  return re.test(name);
}
