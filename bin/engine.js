#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ so start-up does not pay for a TypeScript loader.
import { runCli } from '../dist/engine/cli/main.js';

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
