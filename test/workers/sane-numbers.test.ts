import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addSaneUsage, costUsd, saneEvent, saneOutcome, saneUsage, tokenCount } from '../../engine/workers/sane-numbers.js';
import { createTranscriptSink } from '../../engine/workers/transcript-sink.js';
import { createClaudeStreamParser } from '../../engine/workers/parse/claude-stream-json.js';
import { parserForDialect } from '../../engine/workers/builtin-workers.js';
import type { ParsedOutcome, ProcessExit } from '../../engine/workers/types.js';

const exit: ProcessExit = { exitCode: 0, signal: null, timedOut: false, idleTimedOut: false, spawnError: null };

t.test('tokenCount: whole, from 0 to MAX_SAFE_INTEGER; anything else 0', async (t) => {
  t.equal(tokenCount(12), 12);
  t.equal(tokenCount(0.5), 0, 'a fraction is cut');
  t.equal(tokenCount(7.9), 7);
  t.equal(tokenCount(-5), 0);
  t.equal(tokenCount(1e308), Number.MAX_SAFE_INTEGER);
  t.equal(tokenCount(Infinity), Number.MAX_SAFE_INTEGER);
  for (const v of [NaN, -Infinity, '12', null, undefined, {}, 12n]) t.equal(tokenCount(v), 0, String(v));
  t.same(addSaneUsage({ input_tokens: Number.MAX_SAFE_INTEGER, output_tokens: 1, cached_input_tokens: 0 }, { input_tokens: Number.MAX_SAFE_INTEGER, output_tokens: 2, cached_input_tokens: 3 }), { input_tokens: Number.MAX_SAFE_INTEGER, output_tokens: 3, cached_input_tokens: 3 }, 'a sum never leaves the safe integers (1e308 twice was Infinity, written as null)');
  t.same(saneUsage({ input_tokens: '9', output_tokens: 2.5 }), { input_tokens: 0, output_tokens: 2, cached_input_tokens: 0 }, "a plugin's usage of any shape");
  t.equal(saneUsage('lots'), null);
});

t.test('costUsd: a negative, NaN or non-number cost is unknown, never a refund; a huge one stays finite', async (t) => {
  t.equal(costUsd(0.0123), 0.0123);
  t.equal(costUsd(0), 0);
  t.equal(costUsd(-1000), null);
  t.equal(costUsd(-0.0001), null);
  t.equal(costUsd(NaN), null);
  t.equal(costUsd('5'), null);
  t.equal(costUsd(null), null);
  t.equal(costUsd(Infinity), Number.MAX_SAFE_INTEGER);
  const outcome = { outcome: 'ok', finalText: '', sessionId: null, dialect: 'x', usage: { input_tokens: -1, output_tokens: 0.5, cached_input_tokens: 1e300 }, costUsd: -1000, unknownEventTypes: {}, error: null } as ParsedOutcome;
  t.match(saneOutcome(outcome), { usage: { input_tokens: 0, output_tokens: 0, cached_input_tokens: Number.MAX_SAFE_INTEGER }, costUsd: null });
  t.same(saneEvent({ kind: 'usage', input_tokens: 0.5, output_tokens: -3 }), { kind: 'usage', input_tokens: 0, output_tokens: 0 });
  t.same(saneEvent({ kind: 'message', role: 'assistant', text: 'hi' } as never), { kind: 'message', role: 'assistant', text: 'hi' }, 'other events as they are');
});

// A worker's own report of itself reaches the records only through the sink: claude's result
// with a cost of -1000 let a run spend past budgets.cost_usd; usage of 0.5 or 1e308 wrote a
// state.json the engine's schema refused.
t.test('a transcript sink keeps what a worker reports within what the records hold', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-sane-'));
  const claude = createTranscriptSink({ dir, parser: createClaudeStreamParser() });
  const result = { type: 'result', subtype: 'success', is_error: false, session_id: 's', total_cost_usd: -1000, usage: { input_tokens: 0.5, cache_creation_input_tokens: 1e308, cache_read_input_tokens: -4, output_tokens: 1e308 }, result: 'done' };
  claude.push(Buffer.from(`${JSON.stringify(result)}\n`));
  const summary = claude.finish(exit, '');
  t.equal(summary.parsed.costUsd, null, 'a negative cost is unknown');
  t.same(summary.parsed.usage, { input_tokens: Number.MAX_SAFE_INTEGER, output_tokens: Number.MAX_SAFE_INTEGER, cached_input_tokens: 0 });

  const dir2 = mkdtempSync(path.join(os.tmpdir(), 'engine-sane-'));
  const jsonl = createTranscriptSink({ dir: dir2, parser: parserForDialect('command-jsonl')! });
  for (const u of [{ input_tokens: 0.5, output_tokens: 1e308 }, { input_tokens: 2, output_tokens: 1e308 }, { input_tokens: -7, output_tokens: 1 }]) jsonl.push(Buffer.from(`${JSON.stringify({ kind: 'usage', ...u })}\n`));
  jsonl.push(Buffer.from(`${JSON.stringify({ kind: 'message', role: 'assistant', text: 'done' })}\n`));
  const s2 = jsonl.finish(exit, '');
  t.same(s2.parsed.usage, { input_tokens: 2, output_tokens: Number.MAX_SAFE_INTEGER, cached_input_tokens: 0 });
  const events = readFileSync(path.join(dir2, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const e of events.filter((x) => x.kind === 'usage')) {
    for (const k of ['input_tokens', 'output_tokens', 'cached_input_tokens']) if (k in e) t.ok(Number.isSafeInteger(e[k]) && e[k] >= 0, `events.jsonl ${k} ${e[k]} is a count`);
  }
});
