// Regression guard for the codex parser: every recorded codex transcript (the table fixtures
// and the captures from the real CLI) is parsed under several process exits and with and
// without a resumed thread's usage baseline; the normalized events and the outcome must be
// byte-identical to test/fixtures/transcripts/codex-golden.json, recorded from the parser
// before it was reshaped. Any change of output shows here as a diff of one named case.
// After a deliberate change of output: ENGINE_UPDATE_GOLDEN=1 npx tap test/workers/codex-golden.test.ts
import t from 'tap';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCodexParser } from '../../engine/workers/parse/codex-exec-json.js';
import { parseTranscript, exitedWith } from '../../engine/workers/parse/parse-transcript.js';
import type { ProcessExit, Usage } from '../../engine/workers/types.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'transcripts');
const goldenFile = path.join(root, 'codex-golden.json');

interface Input {
  name: string;
  stdout: Buffer;
  stderr: string;
}

function readOptional(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Every codex transcript under test/fixtures/transcripts, table fixtures and captures. */
function codexInputs(): Input[] {
  const inputs: Input[] = [];
  for (const d of readdirSync(root, { withFileTypes: true })) {
    if (!d.isDirectory() || !d.name.startsWith('codex-')) continue;
    const dir = path.join(root, d.name);
    const text = readFileSync(path.join(dir, 'stdout.txt'), 'utf8').replace(/@@PAD:(\d+)@@/g, (_, n: string) => 'x'.repeat(Number(n)));
    inputs.push({ name: d.name, stdout: Buffer.from(text, 'utf8'), stderr: readOptional(path.join(dir, 'stderr.txt')) });
  }
  const captured = path.join(root, 'captured');
  for (const f of readdirSync(captured).filter((f) => f.startsWith('codex-') && f.endsWith('.stdout.jsonl'))) {
    const name = f.replace(/\.stdout\.jsonl$/, '');
    inputs.push({ name: `captured/${name}`, stdout: readFileSync(path.join(captured, f)), stderr: readOptional(path.join(captured, `${name}.stderr.txt`)) });
  }
  return inputs.sort((a, b) => a.name.localeCompare(b.name));
}

/** The process ends each transcript is read under: every branch of the parser's end. */
const EXITS: Record<string, ProcessExit> = {
  'exit-0': exitedWith(0),
  'exit-1': exitedWith(1),
  'idle-timeout': exitedWith(null, { signal: 'SIGTERM', idleTimedOut: true }),
  'wall-timeout': exitedWith(null, { signal: 'SIGKILL', timedOut: true }),
  'reaped-after-terminal': exitedWith(null, { signal: 'SIGTERM', reapedAfterTerminal: true }),
  'spawn-error': exitedWith(null, { spawnError: 'spawn codex ENOENT' }),
};
const BASELINE: Usage = { input_tokens: 700, output_tokens: 30, cached_input_tokens: 50 };

/** Long strings (the multi-MB line) are kept as their hash, so the golden file stays small. */
function compact(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.length > 4000) return `sha256:${createHash('sha256').update(value).digest('hex')} (${value.length} chars)`;
  return value;
}

function runAll(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const input of codexInputs()) {
    for (const [exitName, exit] of Object.entries(EXITS)) {
      for (const baseline of [null, BASELINE]) {
        const key = `${input.name} ${exitName}${baseline ? ' baseline' : ''}`;
        const { events, outcome } = parseTranscript(input.stdout, createCodexParser(baseline), exit, input.stderr);
        out[key] = JSON.stringify({ events, outcome }, compact);
      }
    }
  }
  return out;
}

const actual = runAll();
if (process.env.ENGINE_UPDATE_GOLDEN === '1') {
  writeFileSync(goldenFile, `${JSON.stringify(actual, null, 1)}\n`);
  t.pass(`golden file written with ${Object.keys(actual).length} cases`);
} else {
  const golden = JSON.parse(readFileSync(goldenFile, 'utf8')) as Record<string, string>;
  t.same(Object.keys(actual), Object.keys(golden), 'the same transcripts and exits as when the golden file was written');
  t.ok(Object.keys(actual).length >= 30 * Object.keys(EXITS).length, `every codex transcript is read (${Object.keys(actual).length} cases)`);
  for (const [key, json] of Object.entries(actual)) {
    // Compared as strings: key order and number formatting count too.
    if (golden[key] !== undefined) t.equal(json, golden[key], key);
  }
}
