import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeFixture, engineHere, readJsonl, twoMilestones } from '../helpers/run-fixture.js';
import { frameworkSection, frameworkTriggerOf } from '../../engine/runtime/memo-sections.js';
import type { TimelineEvent } from '../../engine/generated/event.js';

// A framework_fix_needed stop's memo names which of the seed's three triggers fired.

const workers = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/workers');
const runDir = (repo: string, id: string) => path.join(repo, '.engine', 'runs', id);
/** A run in this process (the CLI kernel) on the stepping clock. */
const run = (f: ReturnType<typeof makeFixture>, id: string, env: NodeJS.ProcessEnv = {}) =>
  engineHere(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress'], { cwd: f.dir, env: { ENGINE_FAKE_CLOCK: '2026-01-02T03:04:05.000Z', ...env } });

t.test('missing capability: the memo quotes the worker\'s needs', async (t) => {
  const needs = 'a way to run `docker compose` inside the workspace\nand network access to the registry';
  const f = makeFixture({ script: { ...twoMilestones, status: { 'implement#1#1': 'framework_fix_needed' }, needs: { 'implement#1#1': needs } } });
  const r = await run(f, 'cap');
  t.equal(r.code, 3, r.stderr);
  const dir = runDir(f.repo, 'cap');
  t.equal(readJsonl(path.join(dir, 'timeline.jsonl')).at(-1).stop_reason, 'framework_fix_needed');
  const memo = readFileSync(path.join(dir, 'memo.md'), 'utf8');
  t.match(memo, /## Framework fix needed/);
  t.match(memo, /Trigger: \*\*missing capability\*\* — step implement reported `framework_fix_needed`/);
  t.match(memo, /> a way to run `docker compose` inside the workspace\n> and network access to the registry/, 'needs quoted line by line');
});

t.test('missing capability without needs says so', async (t) => {
  const f = makeFixture({ script: { ...twoMilestones, status: { 'implement#1#1': 'framework_fix_needed' } } });
  t.equal((await run(f, 'nn')).code, 3);
  t.match(readFileSync(path.join(runDir(f.repo, 'nn'), 'memo.md'), 'utf8'), /> \(the worker did not say: its `needs` was null\)/);
});

t.test('protocol mismatch: a CLI whose output the parser does not know and no markers block stops framework_fix_needed', async (t) => {
  const f = makeFixture({
    pipeline: (p) => {
      p.workers.implementer = { use: 'codex', bin: path.join(workers, 'codex-drifted.mjs'), idle_timeout_s: 20, timeout_s: 60 };
    },
  });
  const r = await run(f, 'pm', { OPENAI_API_KEY: 'sk-test-not-used' });
  t.equal(r.code, 3, r.stderr + r.stdout);
  const dir = runDir(f.repo, 'pm');
  const events = readJsonl(path.join(dir, 'timeline.jsonl'));
  t.equal(events.at(-1).stop_reason, 'framework_fix_needed');
  t.equal(events.filter((e) => e.type === 'parse.failed').length, 2, 'the repairs were tried first');
  const stopped = events.find((e) => e.type === 'step.stopped');
  t.match(stopped.detail, /^protocol mismatch: implementer printed event types the engine's parser does not know \(.*turn\.plan_v9.*\)/);
  const memo = readFileSync(path.join(dir, 'memo.md'), 'utf8');
  t.match(memo, /Trigger: \*\*protocol mismatch\*\*/);
  t.match(memo, /Run `engine doctor \S*test\.pipeline\.yaml --repo \S*repo --policy \S*test\.policy\.yaml --live` to see the drift/, "the run's pipeline and repo, not the repo's default pipeline");
});

t.test('the same CLI without unknown event types is a plain parse failure', async (t) => {
  const f = makeFixture({ script: { ...twoMilestones, garbage: { 'implement#1#1': 1, 'implement#1#2': 1 } }, policy: { budgets: { parse_retries: 0 } } });
  const r = await run(f, 'pf');
  t.equal(r.code, 1, r.stderr);
  t.equal(readJsonl(path.join(runDir(f.repo, 'pf'), 'timeline.jsonl')).at(-1).stop_reason, 'parse_failed');
  t.notMatch(readFileSync(path.join(runDir(f.repo, 'pf'), 'memo.md'), 'utf8'), /Framework fix needed/);
});

t.test('out-of-scope file: each framework path and install file with why (pure, from the timeline)', async (t) => {
  const events = [
    {
      seq: 9, ts: '', type: 'governance.violation', step: 'implement', milestone: 1, attempt: 1, call: 'calls/0003', patch: 'attempted.patch', stop_reason: 'framework_fix_needed',
      violations: [
        { path: 'engine/runtime/loop.ts', rule: 'framework_path', pattern: 'engine/**' },
        { path: 'dist/cli.js', rule: 'engine_install', pattern: null },
      ],
    },
    { seq: 10, ts: '', type: 'step.stopped', step: 'implement', milestone: 1, attempt: 1, kind: 'worker', stop_reason: 'framework_fix_needed', detail: 'x', duration_ms: 1 },
  ] as unknown as TimelineEvent[];
  const trigger = frameworkTriggerOf({ stop_reason: 'framework_fix_needed' }, events);
  t.match(trigger, { kind: 'out_of_scope_file' });
  const text = frameworkSection(trigger).join('\n');
  t.match(text, /\*\*out-of-scope file\*\*/);
  t.match(text, /`engine\/runtime\/loop.ts`: a framework path \(governance.framework_paths: engine\/\*\*\)/);
  t.match(text, /`dist\/cli.js`: a file of the engine's own install/);
  t.equal(frameworkTriggerOf({ stop_reason: 'governance_violation' }, events), null, 'other stops have no framework trigger');
});

// A contract review: a run that ended at a stop of its pipeline had a memo and summary saying
// "Next: engine resume …", which refused it and sent the user back to the memo; the memo said
// "at step: none (the run stopped before its first step)" after plan and implement had run;
// and `engine clean` kept its workspace as "resumable".
t.test('a run ended at a stop of its pipeline: memo, summary and clean say it is not resumed, and how to start again', async (t) => {
  const f = makeFixture({ script: { ...twoMilestones, status: { 'implement#1#1': 'framework_fix_needed' } } });
  const r = await run(f, 'ps');
  t.equal(r.code, 3, r.stderr);
  const dir = runDir(f.repo, 'ps');
  const memo = readFileSync(path.join(dir, 'memo.md'), 'utf8');
  t.match(memo, /^- at step: implement \(milestone 1, attempt 1\), which went to a stop of the pipeline$/m);
  t.notMatch(memo, /engine resume ps/);
  t.match(memo, /The run ended at a stop of its pipeline: `engine resume` does not take it\. Mend what this memo says, then start a new run:\n\n```\nengine run \S+ --repo \S+ --policy \S+ --goal g\n```/);
  const summary = readFileSync(path.join(dir, 'summary.md'), 'utf8');
  t.match(summary, /This run ended at a stop of its pipeline \(framework_fix_needed\) and cannot be resumed: mend what the memo says, then start a new run: `engine run \S+ --repo \S+ --policy \S+ --goal g`/);
  const resumed = await engineHere(['resume', 'ps', '--repo', f.repo, '--no-progress'], { cwd: f.dir });
  t.equal(resumed.code, 2, 'resume refuses it, as the memo says');
  t.match(resumed.stderr, /at a stop of its pipeline; start a new run/);
  const clean = await engineHere(['clean', '--repo', f.repo, '--dry-run'], { cwd: f.dir });
  t.equal(clean.code, 0, clean.stderr);
  t.match(clean.stdout + clean.stderr, /stopped at a stop of its pipeline: not resumable, but its workspace holds the work since the last checkpoint/);
  t.notMatch(clean.stdout + clean.stderr, /resumable \(engine resume ps\)/);
});
