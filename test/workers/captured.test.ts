// Transcripts captured from the REAL pinned CLIs (codex 0.169.0, claude 2.1.197) driven by the
// scripted model: test/fixtures/transcripts/captured/<name>.{stdout.jsonl,stderr.txt,md}.
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCodexParser } from '../../engine/workers/parse/codex-exec-json.js';
import { createClaudeStreamParser } from '../../engine/workers/parse/claude-stream-json.js';
import { parseTranscript, exitedWith } from '../../engine/workers/parse/parse-transcript.js';
import { readMarkers, isMarkersPhase } from '../../engine/workers/extract-markers.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'transcripts', 'captured');

/** What each captured call must come to: outcome, and for ok calls whether markers validate. */
const EXPECT: Record<string, { outcome: string; markers?: 'valid' | 'no_block'; error?: RegExp; kinds?: string[] }> = {
  'codex-plain': { outcome: 'ok', markers: 'valid' },
  'codex-tools': { outcome: 'ok', markers: 'valid', kinds: ['file_change', 'command'] },
  'codex-resume-first': { outcome: 'ok', markers: 'no_block' },
  'codex-resume': { outcome: 'ok', markers: 'valid' },
  'codex-error': { outcome: 'failed', error: /has no reply for engine-phase: review/ },
  'claude-plain': { outcome: 'ok', markers: 'valid' },
  'claude-tools': { outcome: 'ok', markers: 'valid', kinds: ['tool_call', 'tool_result'] },
  'claude-resume-first': { outcome: 'ok', markers: 'no_block' },
  'claude-resume': { outcome: 'ok', markers: 'valid' },
  'claude-error': { outcome: 'failed', error: /API Error: 400 .*has no reply/ },
};

const names = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.stdout.jsonl')).map((f) => f.replace(/\.stdout\.jsonl$/, '')) : [];
t.ok(names.length > 0, 'captured transcripts present');

for (const name of names) {
  t.test(name, async (t) => {
    const note = readFileSync(path.join(dir, `${name}.md`), 'utf8');
    const exitCode = Number(/exit code: (\d+)/.exec(note)?.[1] ?? 0);
    const stated = /engine-phase: ([a-z]+)/.exec(note)?.[1] ?? '';
    const phase = stated === 'repair' ? (/engine-repair-of: ([a-z]+)/.exec(note)?.[1] ?? '') : stated;
    const stderrFile = path.join(dir, `${name}.stderr.txt`);
    const stderr = existsSync(stderrFile) ? readFileSync(stderrFile, 'utf8') : '';
    const parser = name.startsWith('codex') ? createCodexParser() : createClaudeStreamParser();
    const { events, outcome } = parseTranscript(readFileSync(path.join(dir, `${name}.stdout.jsonl`)), parser, exitedWith(exitCode), stderr);
    const want = EXPECT[name];
    if (!want) {
      // A capture added later: it must at least parse to a decided outcome with known dialect.
      t.not(outcome.outcome, 'incomplete', 'a finished real call has its terminal event');
      return;
    }
    t.equal(outcome.outcome, want.outcome, 'outcome');
    t.equal(outcome.dialect, name.startsWith('codex') ? 'codex-exec-json' : 'claude-stream-json');
    t.ok(outcome.sessionId, 'session id for resume');
    if (want.error) t.match(outcome.error, want.error);
    for (const k of want.kinds ?? []) t.ok(events.some((e) => e.kind === k), `has a ${k} event`);
    t.same(outcome.unknownEventTypes, {}, 'the pinned CLI emits nothing this parser does not know');
    if (want.markers && isMarkersPhase(phase)) {
      const m = readMarkers(outcome.finalText, phase);
      if (want.markers === 'valid') t.ok(m.ok, `markers valid for ${phase}${m.ok ? '' : `: ${m.error}`}`);
      else t.equal(!m.ok && m.code, 'no_block');
    }
    if (outcome.outcome === 'ok') t.ok(outcome.usage && outcome.usage.input_tokens >= 0, 'usage');
  });
}
