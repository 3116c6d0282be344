#!/usr/bin/env node
// Prints the report of a saved `engine suite --json` document (the same text `engine suite`
// prints without --json: each task's verdict, the totals, the closing line), with the
// suite's wall time when given. Used by .ci/run, which keeps the JSON as a file.
// Usage: node scripts/suite-report.mjs SUITE.json [SECONDS]
import { readFileSync } from 'node:fs';
import { renderSuite } from '../dist/engine/suite/render-suite.js';

const [file, seconds] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/suite-report.mjs SUITE.json [SECONDS]');
  process.exit(2);
}
let doc;
try {
  doc = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`suite-report: cannot read ${file}: ${err.message}`);
  process.exit(2);
}
if (!doc.totals) {
  // Bad input: the suite printed its diagnostics instead of a report.
  console.error(`suite-report: ${file} has no report${doc.diagnostics ? `: ${doc.diagnostics.map((d) => d.message).join('; ')}` : ''}`);
  process.exit(1);
}
process.stdout.write(renderSuite(doc.tasks, doc.repeat, doc.base, doc.store, doc.totals));
if (seconds) console.log(`suite wall time: ${seconds} s`);
