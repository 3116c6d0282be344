import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain ES module of the scripts, without types
import { tapBuildIsCurrent } from '../../scripts/tap-build.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// On a fresh install, tap's runner would give every test process the TypeScript plugin's
// import, which package.json turns off: ts-node and TypeScript loaded for nothing, about 0.8 s
// of CPU each. `npm test` builds tap with the configured plugins before the runner starts.
t.test('test processes start without the TypeScript plugin the config turns off', async (t) => {
  const imports = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  t.notMatch(imports, /@tapjs\/typescript/, `no @tapjs/typescript import in this test process's options: ${imports}`);
  t.match(imports, /esbuild-register\.mjs/, 'the TypeScript of the tests is compiled by the esbuild hook');
});

t.test('the built Test class has the configured plugins', async (t) => {
  t.equal(tapBuildIsCurrent(root), true);
});
