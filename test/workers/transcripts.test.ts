// Table-driven: every test/fixtures/transcripts/<case>/ holds stdout.txt (+ stderr.txt) and
// case.json with the parser, the process exit and the expected normalized result.
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parserForDialect as createParserForDialect } from '../../engine/workers/builtin-workers.js';
import { createCodexParser } from '../../engine/workers/parse/codex-exec-json.js';
import { parseTranscript, exitedWith } from '../../engine/workers/parse/parse-transcript.js';
import { createLineSplitter } from '../../engine/workers/split-lines.js';
import { readMarkers, checkMarkersValue, isMarkersPhase } from '../../engine/workers/extract-markers.js';
import type { NormalizedEvent, ProcessExit, StreamParser } from '../../engine/workers/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..', 'fixtures', 'transcripts');

interface Expect {
  outcome: string;
  dialect?: string;
  text?: string;
  text_contains?: string;
  session_id?: string;
  kinds?: string[];
  events_include?: Record<string, unknown>[];
  unknown?: Record<string, number>;
  usage?: Record<string, number>;
  usage_events_total?: { input_tokens: number; output_tokens: number };
  cost?: number;
  error?: string | null;
  error_match?: string;
  warnings_match?: string[];
  structured_output?: unknown;
  long_lines?: number;
  markers?: { ok: boolean; value?: unknown; code?: string };
}
interface Case {
  parser: string;
  exit: Partial<ProcessExit>;
  chunk?: number;
  phase?: string;
  expect: Expect;
}

function parserFor(name: string): StreamParser {
  if (name === 'codex') return createCodexParser();
  const p = createParserForDialect(name);
  if (!p) throw new Error(`unknown parser ${name} in a fixture`);
  return p;
}

/** Expands `@@PAD:n@@` so a multi-MB line needs no multi-MB file in the repo. */
function loadStdout(dir: string): Buffer {
  const text = readFileSync(path.join(dir, 'stdout.txt'), 'utf8');
  return Buffer.from(text.replace(/@@PAD:(\d+)@@/g, (_, n: string) => 'x'.repeat(Number(n))), 'utf8');
}

function chunked(buf: Buffer, size: number | undefined): Buffer[] {
  if (!size) return [buf];
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

const cases = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(path.join(root, d.name, 'case.json')));
t.ok(cases.length >= 30, `at least 30 transcript fixtures (${cases.length})`);

for (const entry of cases) {
  t.test(entry.name, async (t) => {
    const dir = path.join(root, entry.name);
    const c = JSON.parse(readFileSync(path.join(dir, 'case.json'), 'utf8')) as Case;
    const stderrPath = path.join(dir, 'stderr.txt');
    const stderr = existsSync(stderrPath) ? readFileSync(stderrPath, 'utf8') : '';
    const stdout = loadStdout(dir);
    const exit = exitedWith(c.exit.exitCode ?? null, c.exit);
    const { events, outcome } = parseTranscript(chunked(stdout, c.chunk), parserFor(c.parser), exit, stderr);
    const e = c.expect;

    t.equal(outcome.outcome, e.outcome, 'outcome class');
    if (e.dialect) t.equal(outcome.dialect, e.dialect, 'dialect');
    if (e.text !== undefined) t.equal(outcome.finalText, e.text, 'final text');
    if (e.text_contains) t.ok(outcome.finalText.includes(e.text_contains), 'final text contains');
    if (e.session_id) t.equal(outcome.sessionId, e.session_id, 'session id');
    if (e.kinds) t.same(events.map((ev) => ev.kind), e.kinds, 'normalized event kinds');
    for (const partial of e.events_include ?? []) t.ok(events.some((ev) => matches(ev, partial)), `has event ${JSON.stringify(partial)}`);
    if (e.unknown) t.same(outcome.unknownEventTypes, e.unknown, 'unknown event types counted');
    if (e.usage) t.same(outcome.usage, e.usage, 'usage');
    if (e.usage_events_total) {
      const sum = events.filter((ev): ev is Extract<NormalizedEvent, { kind: 'usage' }> => ev.kind === 'usage').reduce((a, u) => ({ input_tokens: a.input_tokens + u.input_tokens, output_tokens: a.output_tokens + u.output_tokens }), { input_tokens: 0, output_tokens: 0 });
      t.same(sum, e.usage_events_total, 'usage events count each message once');
    }
    if (e.cost !== undefined) t.equal(outcome.costUsd, e.cost, 'cost');
    if (e.error !== undefined) t.equal(outcome.error, e.error, 'error');
    if (e.error_match) t.match(outcome.error ?? '', new RegExp(e.error_match), 'error text');
    for (const w of e.warnings_match ?? []) t.ok((outcome.warnings ?? []).some((x) => new RegExp(w).test(x)), `warning /${w}/`);
    if (e.structured_output !== undefined) t.same(outcome.structuredOutput, e.structured_output, 'structured output');
    if (e.long_lines !== undefined) {
      let long = 0;
      const s = createLineSplitter((l) => { if (l.length > 1024 * 1024) long += 1; });
      s.push(stdout);
      s.end();
      t.equal(long, e.long_lines, 'over-long lines');
    }
    // No event ever carries a raw line that failed decoding into U+FFFD.
    t.notOk(JSON.stringify(events).includes('\uFFFD'), 'no broken UTF-8');

    if (c.phase && isMarkersPhase(c.phase) && outcome.outcome === 'ok') {
      const m = outcome.structuredOutput !== undefined && !outcome.finalText.includes('BEGIN_MARKERS')
        ? checkMarkersValue(outcome.structuredOutput, c.phase)
        : readMarkers(outcome.finalText, c.phase);
      if (e.markers) {
        t.equal(m.ok, e.markers.ok, `markers ok (${m.ok ? '' : m.error})`);
        if (e.markers.value !== undefined && m.ok) t.same(m.value, e.markers.value, 'markers value');
        if (e.markers.code && !m.ok) t.equal(m.code, e.markers.code, 'markers error code');
      } else if (e.structured_output === undefined) {
        t.fail('an ok fixture with a phase must state its markers');
      } else {
        t.ok(m.ok, 'structured output validates as markers');
      }
    }
  });
}

function matches(ev: NormalizedEvent, partial: Record<string, unknown>): boolean {
  return Object.entries(partial).every(([k, v]) => JSON.stringify((ev as Record<string, unknown>)[k]) === JSON.stringify(v));
}
