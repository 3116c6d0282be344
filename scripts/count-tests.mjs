#!/usr/bin/env node
// Reads a tap run's output and prints the closing line CI looks for: `N passed, N failed`.
// tap's own summary (`# { total: N, pass: N, fail: N, ... }`) counts assertions; a test file
// that crashed before its plan shows as a failed `not ok` line, counted too.
//
// `--failures` prints instead each failed test with the subtests it sits in and tap's account
// of it (where, what was wanted, what came), at most 400 lines: CI prints it last, so a failure
// is in the part of the output that is kept, however long the run's output was.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const failuresOnly = args[0] === '--failures';
  if (failuresOnly) args.shift();
  // `--label L`: the line begins `L: ` (the end-to-end tests' count, after npm test's own).
  const label = args[0] === '--label' ? args.splice(0, 2)[1] : null;
  const text = readFileSync(args[0], 'utf8');
  if (failuresOnly) printFailures(text, label);
  else printCount(text, label);
}

/** `N passed, N failed` from tap's closing summary; a run without one counts as failed. */
function printCount(text, label) {
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
  console.log(`${label ? `${label}: ` : ''}${pass} passed, ${fail} failed`);
}

/** The failed tests and their diagnostic blocks (listFailures), at most 400 lines; nothing when none failed. */
function printFailures(text, label) {
  const lines = listFailures(text);
  if (!lines.length) return;
  const more = lines.length > 400 ? `; the first 400 of ${lines.length} lines` : '';
  console.log(`failed ${label ?? 'tests'} (from the test run's output${more}):\n${lines.slice(0, 400).join('\n')}`);
}

/**
 * Each `not ok` line of a tap stream as `a > b > name`, the subtests it sits in first, then
 * its diagnostic block (`---` to `...`) as tap indented it. Pure.
 */
export function listFailures(tap) {
  const out = [];
  const names = [];
  const rows = tap.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const sub = /^( *)# Subtest: (.*)$/.exec(row);
    if (sub) {
      names.length = Math.floor(sub[1].length / 4);
      names.push(sub[2]);
      continue;
    }
    const bad = /^( *)not ok \d+ - (.*)$/.exec(row);
    if (!bad) continue;
    const depth = Math.floor(bad[1].length / 4);
    out.push(`not ok: ${[...names.slice(0, depth), bad[2]].join(' > ')}`);
    if (rows[i + 1]?.trim() === '---') {
      for (let j = i + 1; j < rows.length && j < i + 60; j++) {
        out.push(rows[j]);
        if (rows[j].trim() === '...') break;
      }
    }
  }
  return out;
}
