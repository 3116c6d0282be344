import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engine, makeFixture, readJsonl, twoMilestones } from '../helpers/run-fixture.js';
import { loadValidator } from '../../engine/config/validators.js';

// A hostile review: a worker that reported 0.5 tokens, or 1e308 twice (Infinity, written as
// null), made the engine write a state.json its own schema refused, so resume refused the run
// the engine had stopped ("state.json is not a state the engine writes"), and timeline events
// the report then left out as damaged. What a worker says of itself is kept as counts now.
t.test('a worker reporting fractional, negative and huge token counts: the records stay valid, the run resumes, the report keeps every event', async (t) => {
  const planner = path.join(mkdtempSync(path.join(os.tmpdir(), 'engine-planner-')), 'planner.cjs');
  writeFileSync(
    planner,
    `const prompt = require('node:fs').readFileSync(0, 'utf8');
const phase = [...prompt.matchAll(/^engine-phase: (.*)$/gm)].at(-1)[1].trim();
const usage = [{ input_tokens: 0.5, output_tokens: 1e308 }, { input_tokens: -7, output_tokens: 1e308, cached_input_tokens: 2.5 }];
for (const u of usage) console.log(JSON.stringify({ kind: 'usage', ...u }));
const markers = phase === 'plan' ? { milestones: ${JSON.stringify(twoMilestones.plan.map((m) => ({ ...m, done_checks: [], risk_level: 'low' })))}, assumptions: [] } : { info_needs: [], assumptions: [], files_expected: [] };
console.log(JSON.stringify({ kind: 'message', role: 'assistant', text: 'BEGIN_MARKERS\\n' + JSON.stringify(markers) + '\\nEND_MARKERS' }));
`,
  );
  const f = makeFixture({ pipeline: (p) => (p.workers.planner = { use: 'command', bin: process.execPath, args: [planner], output: 'jsonl', idle_timeout_s: 20, timeout_s: 60 }) });
  const started = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'nums', '--max-ticks', '3', '--no-progress'], { cwd: f.dir });
  t.equal(started.code, 1, `stopped by its tick budget: ${started.stderr}`);
  const runDir = path.join(f.repo, '.engine', 'runs', 'nums');
  const state = JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8'));
  t.same((await loadValidator('state'))!.validate(state), [], 'state.json matches its schema');
  t.same(state.kpis.tokens, { input: 0, output: Number.MAX_SAFE_INTEGER });
  const eventValidator = (await loadValidator('event'))!;
  const events = readJsonl(path.join(runDir, 'timeline.jsonl'));
  for (const e of events) t.same(eventValidator.validate(e), [], `${e.type} (seq ${e.seq}) matches schemas/event.schema.json`);
  t.match(events.find((e) => e.type === 'worker.finished'), { usage: { input_tokens: 0, output_tokens: Number.MAX_SAFE_INTEGER, cached_input_tokens: 2 } });

  const resumed = engine(['resume', 'nums', '--repo', f.repo, '--no-progress'], { cwd: f.dir });
  t.equal(resumed.code, 0, `resumed to its end: ${resumed.stderr}`);
  const report = engine(['report', 'nums', '--repo', f.repo], { cwd: f.dir });
  t.equal(report.code, 0, report.stderr);
  t.notMatch(report.stderr + report.stdout, /W_RUN_RECORD|left out/, 'no event of the engine is left out as damaged');
});
