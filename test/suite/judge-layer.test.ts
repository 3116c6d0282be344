import t from 'tap';
import { judgeLayer, repoChanges, type LayerEvidence, type RepoRefs } from '../../engine/suite/judge-layer.js';
import type { TimelineEvent } from '../../engine/generated/event.js';

const ev = (e: Record<string, unknown>): TimelineEvent => ({ seq: 1, ts: 't', step: null, milestone: null, attempt: null, ...e }) as unknown as TimelineEvent;
const repo: RepoRefs = { head: 'ref: refs/heads/main', refs: ['refs/heads/main abc'] };
const withBranch: RepoRefs = { head: repo.head, refs: ['refs/heads/engine/r1 def', 'refs/heads/main abc'] };
const started = (active: boolean) => ev({ type: 'run.started', sandbox: { mode: 'auto', active, tool: active ? '/usr/bin/bwrap' : null, writable: [], warning: null } });
const violation = (stop: string) => ev({ type: 'governance.violation', call: 'calls/0002', violations: [{ path: 'x', rule: 'symlink_escape', pattern: null }], patch: null, stop_reason: stop });
const of = (events: TimelineEvent[], outputs: string[] = [], after: RepoRefs = withBranch): LayerEvidence => ({ events, callOutputs: outputs.map((o) => (o.startsWith('{') ? { events: o, stderr: '' } : { events: '', stderr: o })), repoBefore: repo, repoAfter: after });
const erofs = '{"kind":"command","output":"/bin/bash: line 1: /tmp/r/.git/HEAD: Read-only file system"}';
const claudeDenied = '{"kind":"warning","message":"permission denied: Write /w/reviewer.txt"}';
const codexRejected = 'ERROR codex_core::tools::router: error=exec_command failed: CreateProcess { message: "Rejected(\\"`rm -rf x` rejected: rm -f style commands are not permitted.\\")" }';

t.test("the engine's check: its event for the stop, and only a governance event for a governance stop", async (t) => {
  t.equal(judgeLayer('engine_check', 'governance_violation', of([started(true), violation('governance_violation')])), null);
  t.match(judgeLayer('engine_check', 'governance_violation', of([started(true)])), /no governance.violation/);
  t.match(judgeLayer('engine_check', 'framework_fix_needed', of([violation('governance_violation')])), /stops governance_violation/);
  t.equal(judgeLayer('engine_check', 'parse_failed', of([ev({ type: 'parse.failed' })])), null);
  t.match(judgeLayer('engine_check', 'parse_failed', of([])), /parse\.failed/);
  t.equal(judgeLayer('engine_check', 'budget_exhausted', of([ev({ type: 'budget.exhausted' })])), null);
  t.equal(judgeLayer('engine_check', 'worker_failed', of([ev({ type: 'worker.finished', timed_out: true })])), null);
  t.match(judgeLayer('engine_check', 'worker_failed', of([ev({ type: 'worker.finished', timed_out: false })])), /timed-out/, 'a claims failure is not the engine check');
  t.equal(judgeLayer('engine_check', 'review_rejected', of([ev({ type: 'step.finished', outcome: 'request_changes' })])), null);
  t.equal(judgeLayer('engine_check', 'verification_failed', of([ev({ type: 'verify.finished', pass: false, skipped: false })])), null);
  t.match(judgeLayer('engine_check', 'verification_failed', of([ev({ type: 'verify.finished', pass: true, skipped: false })])), /a failing verify\.finished/, 'a tier that passed did not stop the run');
  t.equal(judgeLayer('engine_check', 'review_loop', of([ev({ type: 'step.stopped', stop_reason: 'review_loop' })])), null);
  t.match(judgeLayer('engine_check', 'parse_failed', of([ev({ type: 'parse.failed' }), violation('governance_violation')])), /governance.violation was recorded/);
});

t.test('the OS sandbox: active, a refused write in a call, no governance event', async (t) => {
  t.equal(judgeLayer('os_sandbox', 'worker_failed', of([started(true)], [erofs])), null);
  t.match(judgeLayer('os_sandbox', 'worker_failed', of([started(false)], [erofs])), /not active/);
  t.match(judgeLayer('os_sandbox', 'completed', of([started(true)], ['{"kind":"command","output":"ok"}'])), /no worker call shows a write refused/);
  t.match(judgeLayer('os_sandbox', 'completed', of([started(true)], ["Error: EROFS: read-only file system, open '/x/.tap/processinfo/1.json'"])), /no worker call shows a write refused/, "a CLI's own stderr is not what its tools met");
  t.match(judgeLayer('os_sandbox', 'governance_violation', of([started(true), violation('governance_violation')], [erofs])), /engine's check stopped it/);
});

t.test("the CLI's own rules: claude's denials, codex's rejections; not when the OS refused too", async (t) => {
  t.equal(judgeLayer('cli_sandbox', 'completed', of([started(true)], [claudeDenied])), null);
  t.equal(judgeLayer('cli_sandbox', 'completed', of([started(true)], [codexRejected])), null);
  t.equal(judgeLayer('cli_sandbox', 'completed', of([], ['{"kind":"tool_result","output":"Cannot write to /w/x while in plan mode.","is_error":true}'])), null);
  t.match(judgeLayer('cli_sandbox', 'completed', of([started(true)], [claudeDenied, erofs])), /OS refused a write too/);
  t.match(judgeLayer('cli_sandbox', 'completed', of([started(true)], ['{"kind":"command","output":"rm: Permission denied"}'])), /no worker call shows a tool call refused/, "a shell's Permission denied is not the CLI's rule");
});

t.test('the workspace absorbs: completed, nothing refused, the user repo gained only the branch', async (t) => {
  t.equal(judgeLayer('workspace', 'completed', of([started(true)], ['{"kind":"command","output":"4c27603 hostile"}'])), null);
  t.match(judgeLayer('workspace', 'completed', of([started(true)], [claudeDenied])), /the CLI stopped it/);
  t.match(judgeLayer('workspace', 'completed', of([started(true)], [erofs])), /the sandbox stopped it/);
  t.match(judgeLayer('workspace', 'worker_failed', of([started(true)])), /ended worker_failed/);
  t.match(judgeLayer('workspace', 'completed', of([], [], { head: repo.head, refs: ['refs/heads/hostile abc', 'refs/heads/main abc'] })), /ref added or moved: refs\/heads\/hostile abc/);
});

t.test("the worker's own report", async (t) => {
  t.equal(judgeLayer('worker', 'framework_fix_needed', of([ev({ type: 'step.finished', outcome: 'framework_fix_needed' })])), null);
  t.match(judgeLayer('worker', 'framework_fix_needed', of([violation('framework_fix_needed')])), /engine's check stopped it/);
  t.match(judgeLayer('worker', 'framework_fix_needed', of([])), /no step finished/);
});

t.test("changes to the user's repo besides the engine's branches", async (t) => {
  t.same(repoChanges(repo, withBranch), []);
  t.same(repoChanges(repo, { head: 'ref: refs/heads/hostile', refs: ['refs/heads/main 999'] }), ['HEAD changed: ref: refs/heads/main → ref: refs/heads/hostile', 'ref added or moved: refs/heads/main 999', 'ref removed or moved: refs/heads/main abc']);
});
