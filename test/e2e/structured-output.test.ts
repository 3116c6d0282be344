// test cost: about 10 s: the real codex and claude with structured output (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import path from 'node:path';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { readJsonl } from '../helpers/run-fixture.js';
import { packageRoot } from '../../engine/paths.js';
import { initRepo, scratchBase, spawnEngine } from './helpers/spawn-engine.js';

// The golden ambiguous bootstrap with `structured_output: true` on every worker: claude runs
// with --json-schema (the scripted model calls its StructuredOutput tool), codex with
// --output-schema (the final message is the bare JSON object). The run must complete with the
// markers taken from the native answers, not from a BEGIN_MARKERS block.
const golden = path.join(packageRoot, 'tasks/golden');

t.test('the golden bootstrap completes with native structured output through both CLIs', async (t) => {
  const base = scratchBase(t, 'structured');
  const pipeline = path.join(base, 'structured.pipeline.yaml');
  const text = readFileSync(path.join(packageRoot, 'pipelines/default.pipeline.yaml'), 'utf8').replace(/^(    use: (claude|codex))$/gm, '$1\n    structured_output: true');
  t.equal(text.match(/structured_output: true/g)?.length, 3, 'all three workers in structured mode');
  writeFileSync(pipeline, text);
  const repo = initRepo(path.join(base, 'repo'));
  const r = await spawnEngine(
    ['run', pipeline, '--repo', repo, '--task', path.join(golden, 'ambiguous-bootstrap.task.yaml'), '--policy', path.join(golden, 'ambiguous-bootstrap.policy.yaml'), '--run-id', 'so', '--no-progress'],
    { cwd: base, env: { ENGINE_FAKE_CLOCK: '2026-01-02T03:04:05.000Z' } },
  );
  t.equal(r.code, 0, `completed\n${r.stdout.slice(0, 800)}${r.stderr}`);
  const runDir = path.join(repo, '.engine', 'runs', 'so');
  const events = readJsonl(path.join(runDir, 'timeline.jsonl'));
  t.match(events.find((e) => e.type === 'run.finished'), { status: 'completed', stop_reason: 'completed' });
  t.same(events.filter((e) => e.type === 'checkpoint.created').length, 3, 'three milestones checkpointed');
  const calls = readdirSync(path.join(runDir, 'calls')).sort();
  t.equal(calls.length, 8, 'explore, plan, and implement + review for each milestone: no repair call');
  for (const c of calls) {
    const dir = path.join(runDir, 'calls', c);
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    t.equal(meta.outcome, 'ok', `${c}: ok`);
    t.ok(existsSync(path.join(dir, 'markers.json')), `${c}: markers accepted`);
    const answer = readFileSync(path.join(dir, 'text.md'), 'utf8');
    t.notMatch(answer, /BEGIN_MARKERS/, `${c}: the answer has no markers block`);
    const markers = JSON.parse(readFileSync(path.join(dir, 'markers.json'), 'utf8'));
    if (meta.plugin === 'codex') {
      t.ok(meta.args.includes('--output-schema'), `${c}: codex was given --output-schema`);
      t.same(JSON.parse(answer), markers, `${c}: codex's final message is the JSON object itself`);
    } else {
      t.ok(meta.args.includes('--json-schema'), `${c}: claude was given --json-schema`);
      const result = readFileSync(path.join(dir, 'stdout.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.type === 'result');
      t.same(result.structured_output, markers, `${c}: claude's result carries structured_output`);
    }
  }
});
