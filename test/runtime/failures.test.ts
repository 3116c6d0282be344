import t from 'tap';
import { chmodSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeFixture, engine, engineHere, readJsonl, twoMilestones, workspaceOf } from '../helpers/run-fixture.js';
import { processAlive } from '../../engine/proc/spawn-group.js';

const workers = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/workers');
const runDir = (repo: string, id: string) => path.join(repo, '.engine', 'runs', id);
const args = (f: ReturnType<typeof makeFixture>, id: string) => ['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress'];
/** A run in this process (the CLI kernel) on the stepping clock. */
const run = (f: ReturnType<typeof makeFixture>, id: string) => engineHere(args(f, id), { cwd: f.dir, env: { ENGINE_FAKE_CLOCK: '2026-01-02T03:04:05.000Z' } });
/**
 * A run in an engine process of its own, for a secret in the engine's environment: only there
 * is the environment the engine was given all it could leak from.
 */
const runSpawned = (f: ReturnType<typeof makeFixture>, id: string, env: NodeJS.ProcessEnv) => engine(args(f, id), { cwd: f.dir, env });


/** Every file under dir, recursively. */
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

t.test('a worker that hangs with a child of its own is ended at the idle limit: worker_failed', async (t) => {
  // The engine's own process-group sweep, without the OS sandbox (whose pid namespace would hide
  // the child's real pid; the sandbox's own reaping: test/sandbox/hostile-worker.test.ts).
  const f = makeFixture({
    policy: { sandbox: { mode: 'off' } },
    pipeline: (p) => {
      p.workers.implementer = { use: 'command', bin: process.execPath, args: [path.join(workers, 'hang-with-child.mjs')], idle_timeout_s: 1, timeout_s: 120 };
    },
  });
  const r = await run(f, 'hang');
  t.equal(r.code, 1, r.stderr);
  const dir = runDir(f.repo, 'hang');
  const events = readJsonl(path.join(dir, 'timeline.jsonl'));
  t.equal(events.at(-1).type, 'run.finished');
  t.equal(events.at(-1).stop_reason, 'worker_failed');
  const call = events.find((e) => e.type === 'worker.finished' && e.step === 'implement');
  t.equal(call.outcome, 'timed_out');
  t.equal(call.timed_out, true);
  const meta = JSON.parse(readFileSync(path.join(dir, call.call, 'meta.json'), 'utf8'));
  t.ok(meta.timed_out || meta.idle_timed_out, 'meta.json says the call timed out');
  t.equal(meta.idle_timed_out, true, 'it was the idle limit');
  const childPid = Number(/child (\d+)/.exec(readFileSync(path.join(dir, call.call, 'stdout.log'), 'utf8'))![1]);
  t.ok(meta.pid > 0 && childPid > 0, 'both pids known');
  t.notOk(processAlive(meta.pid), 'the worker is gone');
  t.notOk(processAlive(childPid), "the worker's own child is gone");
  const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8'));
  t.equal(state.stop_reason, 'worker_failed');
  t.equal(state.inflight, null);
  t.match(readFileSync(path.join(dir, 'memo.md'), 'utf8'), /stopped: worker_failed/);
});

t.test('a claude result with is_error and exit 0 is a worker failure, never a parse failure', async (t) => {
  const f = makeFixture({
    pipeline: (p) => {
      const bin = path.join(path.dirname(p.workers.planner.env.AGENT_SCRIPT), 'fake-claude');
      writeFileSync(bin, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(workers, 'claude-is-error.mjs'))} "$@"\n`);
      chmodSync(bin, 0o755);
      // A key, so the offline login check lets the run reach the fake CLI.
      p.workers.implementer = { use: 'claude', bin, env: { ANTHROPIC_API_KEY: 'test-key' }, idle_timeout_s: 20, timeout_s: 60 };
    },
  });
  const r = await run(f, 'iserr');
  t.equal(r.code, 1, r.stderr);
  const dir = runDir(f.repo, 'iserr');
  const events = readJsonl(path.join(dir, 'timeline.jsonl'));
  t.equal(events.at(-1).stop_reason, 'worker_failed');
  t.equal(events.filter((e) => e.type === 'parse.failed').length, 0, 'no parse failure');
  t.equal(events.filter((e) => e.type === 'worker.started' && e.phase === 'repair').length, 0, 'no repair prompt');
  const call = events.find((e) => e.type === 'worker.finished' && e.step === 'implement');
  t.equal(call.outcome, 'failed');
  t.equal(call.exit_code, 0);
  const meta = JSON.parse(readFileSync(path.join(dir, call.call, 'meta.json'), 'utf8'));
  t.equal(meta.dialect, 'claude-stream-json');
  t.equal(meta.outcome, 'failed');
  t.match(meta.error, /401 invalid x-api-key/, "the result's text is the error");
  t.equal(JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')).kpis.parse_failures, 0);
});

t.test('a secret in the environment reaches no file of the run directory', async (t) => {
  const secret = 'sk-secret-123';
  const f = makeFixture({
    // The retry changes something, so the stop is the attempts' bound, not a loop.
    script: { ...twoMilestones, appends: { 'implement#1#2': { 'notes.txt': 'again\n' } } },
    pipeline: (p) => {
      p.workers.implementer = {
        use: 'command',
        bin: 'sh',
        args: ['-c', 'echo "stdout $OPENAI_API_KEY"; echo "stderr $OPENAI_API_KEY" >&2; echo "$OPENAI_API_KEY" > leak.txt; ' + `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(workers, 'scripted-agent.cjs'))}`],
        env: { ...p.workers.planner.env, OPENAI_API_KEY: secret },
        idle_timeout_s: 20,
        timeout_s: 60,
      };
      // A command step between implement and verify prints it as well.
      p.steps.find((s: { id: string }) => s.id === 'implement').on.done = 'show';
      p.steps.push({ id: 'show', type: 'command', run: 'cat leak.txt; echo "cmd $OPENAI_API_KEY" >&2', on: { pass: 'verify', fail: 'verify' } });
    },
    // The verification prints the secret too (from the file and the env), and fails, so its
    // output travels into the timeline, state.json, the retry prompt and the memo.
    policy: {
      auto_approve: { enabled: false },
      explore: { mode: 'off' },
      verification: { max_attempts: 2, tiers: { tier0: { commands: ['cat leak.txt; echo "env $OPENAI_API_KEY" >&2; exit 1'] }, tier2: { commands: ['true'] } } },
    },
  });
  const r = runSpawned(f, 'sec', { OPENAI_API_KEY: secret });
  t.equal(r.code, 1, r.stderr);
  t.notMatch(r.stdout + r.stderr, secret, 'not on the engine output either');
  const dir = runDir(f.repo, 'sec');
  const events = readJsonl(path.join(dir, 'timeline.jsonl'));
  t.equal(events.at(-1).stop_reason, 'verification_failed');
  t.equal(readFileSync(path.join(workspaceOf(f.repo, 'sec'), 'leak.txt'), 'utf8').trim(), secret, 'the worker did write it');
  const files = walk(dir);
  t.ok(files.some((p) => p.includes(`${path.sep}verify${path.sep}`) && p.includes('-tier0')), 'verification logs are there');
  t.ok(files.some((p) => p.includes('-command-show')), 'command step logs are there');
  t.ok(files.some((p) => p.endsWith('stderr.log')), 'call logs are there');
  for (const file of files) t.notOk(readFileSync(file).includes(secret), `${path.relative(dir, file)} holds no secret`);
  const log = files.find((p) => p.includes(`${path.sep}verify${path.sep}`))!;
  t.match(readFileSync(log, 'utf8'), /\[REDACTED:OPENAI_API_KEY\]/, 'the log says what was redacted');
});

t.test('review request_changes forever stops review_rejected after budgets.review_rounds', async (t) => {
  // Each round asks for something new and gets a new tree: the bound stops it, not a loop.
  const f = makeFixture({ script: { ...twoMilestones, review: 'request_changes', review_changes: { 'review#1#1': ['add a header'], 'review#1#2': ['add a footer'] }, appends: { 'implement#1#2': { 'notes.txt': 'header\n' } } }, policy: { auto_approve: { enabled: false }, explore: { mode: 'off' }, budgets: { review_rounds: 2 }, verification: { tiers: { tier0: { commands: ['true'] } } } } });
  const r = await run(f, 'rev');
  t.equal(r.code, 1, r.stderr);
  const dir = runDir(f.repo, 'rev');
  const events = readJsonl(path.join(dir, 'timeline.jsonl'));
  t.equal(events.at(-1).stop_reason, 'review_rejected');
  const reviews = events.filter((e) => e.type === 'step.started' && e.step === 'review');
  t.same(reviews.map((e) => e.attempt), [1, 2], 'two review rounds');
  t.same(events.filter((e) => e.type === 'step.started' && e.step === 'implement').map((e) => e.attempt), [1, 2]);
  t.equal(events.filter((e) => e.type === 'checkpoint.created').length, 0);
  // The second implement prompt carries the reviewer's verdict.
  const second = events.filter((e) => e.type === 'worker.started' && e.step === 'implement')[1];
  t.match(readFileSync(path.join(dir, second.call, 'prompt.md'), 'utf8'), /engine-attempt: 2/);
  t.match(readFileSync(path.join(dir, 'memo.md'), 'utf8'), /stopped: review_rejected/);
});

t.test('a tier0 that always fails stops verification_failed after verification.max_attempts', async (t) => {
  const f = makeFixture({
    // Every attempt leaves a new tree, so no loop stops the run before its bound.
    script: { ...twoMilestones, appends: { 'implement#1#2': { 'notes.txt': 'two\n' }, 'implement#1#3': { 'notes.txt': 'three\n' } } },
    policy: { auto_approve: { enabled: false }, explore: { mode: 'off' }, verification: { max_attempts: 3, tiers: { tier0: { commands: ['echo "expected 42, got 41: BROKEN-CHECK"; exit 3'] } } } },
  });
  const r = await run(f, 'vf');
  t.equal(r.code, 1, r.stderr);
  const dir = runDir(f.repo, 'vf');
  const events = readJsonl(path.join(dir, 'timeline.jsonl'));
  t.equal(events.at(-1).stop_reason, 'verification_failed');
  const verifies = events.filter((e) => e.type === 'verify.finished');
  t.equal(verifies.length, 3);
  t.ok(verifies.every((e) => e.pass === false && e.commands[0].exit_code === 3));
  const calls = events.filter((e) => e.type === 'worker.started' && e.step === 'implement');
  const prompts = calls.map((e) => readFileSync(path.join(dir, e.call, 'prompt.md'), 'utf8'));
  t.same(prompts.map((p) => Number(/^engine-attempt: (\d+)$/m.exec(p)![1])), [1, 2, 3]);
  t.notMatch(prompts[0]!, /BROKEN-CHECK/, 'the first prompt has no failure');
  t.match(prompts[1]!, /BROKEN-CHECK/, 'the retry prompt has the failure output');
  t.match(prompts[2]!, /BROKEN-CHECK/);
  for (const v of verifies) t.match(readFileSync(path.join(dir, v.log), 'utf8'), /BROKEN-CHECK[\s\S]*exit 3/);
  t.match(readFileSync(path.join(dir, 'memo.md'), 'utf8'), /stopped: verification_failed/);
});
