// Loaded into every test process by tap (`node-arg` in package.json's "tap" block): TypeScript
// compiled by esbuild (esbuild-hooks.mjs), its types only stripped. tap's own TypeScript
// plugin is switched off in package.json ("plugin": ["!@tapjs/typescript"]): on Node 20 it
// registers ts-node in every test process, which loads the TypeScript compiler whether or not
// it compiles anything, about 2.4 s of CPU and 150 MB per test file. Coverage
// (`TEST_COVERAGE=1`) maps back to the sources through the inline source maps esbuild writes.
import { register } from 'node:module';

register('./esbuild-hooks.mjs', import.meta.url);
