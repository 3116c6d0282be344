// Loaded into every test process by tap (`node-arg` in package.json's "tap" block): TypeScript
// compiled by esbuild (esbuild-hooks.mjs) instead of tap's default loader, which spends
// seconds of CPU per test file on the same work. With coverage asked for (`TEST_COVERAGE=1`),
// tap's own loader stays in charge, since coverage records the files it loads.
import { register } from 'node:module';

if (process.env._TAPJS_PROCESSINFO_COVERAGE_ !== '1') register('./esbuild-hooks.mjs', import.meta.url);
