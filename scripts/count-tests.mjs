#!/usr/bin/env node
// Reads a tap run's output and prints the closing line CI looks for: `N passed, N failed`.
// tap's own summary (`# { total: N, pass: N, fail: N, ... }`) counts assertions; a test file
// that crashed before its plan shows as a failed `not ok` line, counted too.
import { readFileSync } from 'node:fs';

const text = readFileSync(process.argv[2], 'utf8');
const summary = [...text.matchAll(/^# \{ (total: \d+.*) \}$/gm)].at(-1);
let pass = 0;
let fail = 0;
if (summary) {
  for (const [, key, n] of summary[1].matchAll(/(\w+): (\d+)/g)) {
    if (key === 'pass') pass = Number(n);
    if (key === 'fail') fail = Number(n);
  }
} else {
  fail = 1;
}
console.log(`${pass} passed, ${fail} failed`);
