import path from 'node:path';
import { writeSync, closeSync, renameSync, mkdirSync } from 'node:fs';
import { openFreshFile } from '../../util/open-own-file.js';
import { spawnGroup } from '../../proc/spawn-group.js';
import { wrapCommand } from '../../sandbox/wrap-command.js';
import type { IrStep } from '../../compile/ir.js';
import type { RunContext } from '../../vocabulary/run-context.js';
import { stepFields, type Runtime, type StepResult } from '../types.js';
import { recordInflight } from './inflight.js';
import { createCappedOutput } from '../../verify/capped-output.js';
import { measureChanges } from './measure-changes.js';
import { createStreamRedactor } from '../../workers/redact.js';
import { commandEnvOf } from '../command-env.js';
import { describeWithheld } from '../../verify/run-verification.js';
import { EngineGitBlockedError } from '../../git/blocked-git-dir.js';
import { eventsOfType } from '../events-by.js';
import { clearIgnored, describeRemovedIgnored } from '../clear-ignored.js';

const DEFAULT_TIMEOUT_S = 600;

/** Run a command step's shell command in the worktree. Outcome pass (exit 0) or fail. Impure. */
export async function runCommandStep(step: IrStep, rt: Runtime, ctx: RunContext): Promise<StepResult> {
  const fields = stepFields(step.id, ctx);
  // Numbered by the command steps begun (this one's step.started is in): one an interrupt cut
  // short keeps its log, and its repetition on resume writes the next.
  const n = eventsOfType(rt.events, 'step.started').filter((e) => e.kind === 'command').length;
  const logRel = path.join('verify', `${String(n).padStart(4, '0')}-command-${step.id}.log`);
  const logPath = path.join(rt.paths.dir, logRel);
  // A check like a verification: run on the committed tree and what the set-up left.
  const removed = await clearIgnored(rt);
  mkdirSync(path.dirname(logPath), { recursive: true });
  const tmp = `${logPath}.partial`;
  // A fresh file, never one found at the name (a link planted in the run store: its name is guessable).
  const fd = openFreshFile(tmp);
  const commandEnv = commandEnvOf(rt);
  writeSync(fd, rt.scrub(`$ ${step.run}\n${describeWithheld(commandEnv.withheld)}${describeRemovedIgnored(removed)}`));
  const redactor = createStreamRedactor(rt.secrets);
  // What it prints goes to the log up to the call's cap (a worker can make it print without end).
  const log = createCappedOutput((c) => writeSync(fd, c), rt.policy.transcripts.raw_cap_bytes);
  const write = (c: Buffer) => {
    if (c.length) log.push(c);
  };
  const cmd = wrapCommand(rt.sandbox, { bin: 'sh', args: ['-c', step.run!], cwd: rt.state.workspace, workspace: rt.state.workspace, readOnly: false, home: null });
  const group = spawnGroup(cmd.bin, cmd.args, {
    cwd: rt.state.workspace,
    // The user's environment less the worker provider keys and secret-named variables.
    env: commandEnv.env,
    timeoutMs: (step.timeoutS ?? DEFAULT_TIMEOUT_S) * 1000,
    onStdout: (c) => write(redactor.push(c)),
    onStderr: (c) => write(redactor.push(c)),
    onSpawn: (pid) => recordInflight(rt, { pid, pgid: pid, step: step.id, call: null }),
    infoFd: cmd.infoFd,
    inputFd: cmd.inputFd,
  });
  const abort = () => group.kill();
  rt.signal.addEventListener('abort', abort, { once: true });
  const r = await group.done;
  rt.signal.removeEventListener('abort', abort);
  recordInflight(rt, null);
  write(redactor.flush());
  log.end();
  writeSync(fd, `\n# exit ${r.exitCode ?? r.signal}${r.timedOut ? ' (timed out)' : ''}${r.error ? ` (${r.error})` : ''} after ${r.durationMs} ms\n`);
  // Renamed into place whole; not fsynced (the timeline is: decision 0006).
  closeSync(fd);
  renameSync(tmp, logPath);
  const pass = r.exitCode === 0;
  // The engine's git dir kept locked or taken (no OS sandbox): no measure; governance's look
  // after the step (loop.ts checkResult) meets it as a violation, every other check made.
  const measured = await measureChanges(rt, null).catch((error: unknown) => {
    if (error instanceof EngineGitBlockedError) return null;
    throw error;
  });
  return {
    outcome: pass ? 'pass' : 'fail',
    ...(measured ? { tree: measured.tree, patch: { changes: measured.changes } } : { patch: {} }),
    events: [{ type: 'command.finished', ...fields, command: step.run!, exit_code: r.exitCode, timed_out: r.timedOut, duration_ms: rt.env.duration(r.durationMs), log: logRel, ...(removed ? { ignored_removed: removed } : {}) }],
  };
}
