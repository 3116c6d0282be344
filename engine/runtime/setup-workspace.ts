import path from 'node:path';
import { runVerification } from '../verify/index.js';
import { commandEnvOf } from './command-env.js';
import { snapshotTree } from '../git/snapshot.js';
import { restoreWorkspace } from '../git/restore.js';
import { workspaceTarget } from '../git/workspace.js';
import { EMPTY_TREE } from '../git/repo.js';
import { diffTreeEntries } from '../git/changes.js';
import { listIgnored } from '../git/ignored-paths.js';
import { clearBeforeSetup, describeRemovedIgnored } from './clear-ignored.js';
import { recordInflight } from './steps/inflight.js';
import type { LoopEnd } from './loop.js';
import type { Runtime } from './types.js';

/**
 * The policy's `workspace.setup` commands, once per workspace before the first step (a
 * resume after a set-up that passed does not repeat it): run like verification (same
 * environment and sandbox, one log in verify/, each command limited by tier2's timeout),
 * recorded as `workspace.setup` with its duration. Every ignored path but the shared ones
 * is removed first (clearBeforeSetup), so that what git ignores after it, recorded as its
 * `ignored` and kept by every verification, is the set-up's own. A set-up may only add ignored files
 * (installed dependencies, build output): a failing command, or a tracked file changed, puts
 * the workspace back and stops the run (`verification_failed`, resumable). Resolves with the
 * stop, or null to go on. Impure.
 */
export async function setUpWorkspace(rt: Runtime): Promise<LoopEnd | null> {
  const commands = rt.policy.workspace.setup;
  if (commands.length === 0 || rt.events.some((e) => e.type === 'workspace.setup' && e.pass)) return null;
  const n = rt.events.filter((e) => e.type === 'verify.finished' || e.type === 'workspace.setup').length + 1;
  const logRel = path.join('verify', `${String(n).padStart(4, '0')}-setup.log`);
  const commandEnv = commandEnvOf(rt);
  // Its own ignored output is what verifications keep: never a worker's beside it.
  const removed = await clearBeforeSetup(rt);
  const result = await runVerification({
    capBytes: rt.policy.transcripts.raw_cap_bytes,
    tier: 'setup',
    commands,
    cwd: rt.state.workspace,
    timeoutS: rt.policy.verification.tiers.tier2.timeout_s,
    logPath: path.join(rt.paths.dir, logRel),
    // The user's environment less the worker provider keys and secret-named variables.
    env: commandEnv.env,
    withheld: commandEnv.withheld,
    head: describeRemovedIgnored(removed, 'before the set-up (only the shared paths stay)'),
    onSpawn: (pid) => recordInflight(rt, { pid, pgid: pid, step: 'workspace.setup', call: null }),
    signal: rt.signal,
    secrets: rt.secrets,
    sandbox: rt.sandbox,
    workspace: rt.state.workspace,
  });
  recordInflight(rt, null);
  if (rt.signal.aborted) return { reason: 'interrupted', detail: 'the engine received a signal to stop during the workspace set-up; resume runs it again' };
  const base = rt.state.workspace_tree ?? EMPTY_TREE;
  const tree = await snapshotTree(rt.ws);
  const changed = (await diffTreeEntries(workspaceTarget(rt.ws), base, tree)).map((e) => e.path);
  if (changed.length) await restoreWorkspace(rt.ws, rt.state.workspace_tree);
  const pass = result.pass && changed.length === 0;
  // What a passing set-up leaves ignored is kept by every verification (clear-ignored.ts).
  const ignored = pass ? await listIgnored(rt.ws) : null;
  rt.append({
    type: 'workspace.setup',
    step: null,
    milestone: null,
    attempt: null,
    pass,
    duration_ms: result.results.reduce((s, r) => s + rt.env.duration(r.durationMs), 0),
    log: logRel,
    commands: result.results.map((r) => ({ command: r.command, exit_code: r.exitCode, timed_out: r.timedOut, duration_ms: rt.env.duration(r.durationMs) })),
    changed,
    ...(ignored ? { ignored } : {}),
  });
  rt.persist();
  if (pass) return null;
  const failed = result.results.find((r) => r.exitCode !== 0);
  const why = failed
    ? `\`${failed.command}\` ${failed.timedOut ? 'timed out' : `exited ${failed.exitCode ?? 'on a signal'}`}`
    : `it changed tracked files (${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', …' : ''}); a set-up may only add ignored files`;
  return { reason: 'verification_failed', detail: `the workspace set-up failed: ${why} (see ${logRel})` };
}
