/**
 * `import()` of a user's module (a worker plugin). Impure.
 *
 * Its own module because the bundled CLI cannot do a dynamic import itself: bin/engine.js
 * compiles the bundle with a V8 code cache, and Node 20 drops the `importModuleDynamically`
 * callback of functions restored from a code cache ("A dynamic import callback was not
 * specified"). scripts/bundle-cli.mjs keeps this module out of the bundle as
 * dist/import-module.cjs, a file Node's own loader loads, where `import()` always works.
 */
export function importModule(url: string): Promise<unknown> {
  return import(url);
}
