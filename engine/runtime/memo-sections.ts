import type { TimelineEvent } from '../generated/event.js';
import type { RunState } from '../generated/state.js';
import { quoteRequest } from './detect-loop.js';
import { PROTOCOL_MISMATCH } from './steps/worker.js';
import { engineCommandAnywhere } from '../vocabulary/engine-command.js';
import { markdownCode, markdownText } from '../util/markdown-text.js';

/** The three things that make a run need a fix of the engine rather than of the task (the seed's triggers). */
export type FrameworkTrigger =
  | { kind: 'out_of_scope_file'; files: { path: string; why: string }[] }
  | { kind: 'missing_capability'; step: string; needs: string | null }
  | { kind: 'protocol_mismatch'; detail: string };

/** Which trigger stopped a framework_fix_needed run, read from its timeline; null for any other stop. Pure. */
export function frameworkTriggerOf(state: Pick<RunState, 'stop_reason'>, events: readonly TimelineEvent[]): FrameworkTrigger | null {
  if (state.stop_reason !== 'framework_fix_needed') return null;
  // The event that ended the run's last step, and what that step recorded before it.
  let end = events.length - 1;
  while (end >= 0 && events[end]!.type !== 'step.stopped' && events[end]!.type !== 'step.finished') end--;
  const last = events[end];
  let begin = end - 1;
  while (begin >= 0 && events[begin]!.type !== 'step.started') begin--;
  const breach = events.slice(Math.max(0, begin), Math.max(0, end)).reverse().find((e) => e.type === 'governance.violation');
  if (last?.type === 'step.stopped' && breach?.type === 'governance.violation') {
    return {
      kind: 'out_of_scope_file',
      files: breach.violations.map((v) => ({ path: v.path, why: v.rule === 'engine_install' ? "a file of the engine's own install" : `a framework path${v.pattern ? ` (governance.framework_paths: ${v.pattern})` : ''}` })),
    };
  }
  if (last?.type === 'step.stopped' && last.detail.startsWith(PROTOCOL_MISMATCH)) return { kind: 'protocol_mismatch', detail: last.detail };
  if (last?.type === 'step.finished') {
    const implement = (last.patch as { implement?: { needs: string | null } | null }).implement;
    return { kind: 'missing_capability', step: last.step ?? '-', needs: implement?.needs ?? null };
  }
  return null;
}

/** memo.md's section on a framework_fix_needed stop: the trigger by name, with the worker's `needs` quoted. Pure. */
export function frameworkSection(trigger: FrameworkTrigger | null, doctorLive = engineCommandAnywhere('doctor --live')): string[] {
  if (!trigger) return [];
  const head = ['## Framework fix needed', ''];
  switch (trigger.kind) {
    case 'out_of_scope_file':
      return [...head, 'Trigger: **out-of-scope file** — the worker changed files that belong to the engine, not to the task:', '', ...trigger.files.map((f) => `- ${markdownCode(f.path)}: ${markdownText(f.why)}`), '', 'A task that needs these changed needs a change of the engine first (made by hand, outside a run).', ''];
    case 'missing_capability':
      return [
        ...head,
        `Trigger: **missing capability** — step ${trigger.step} reported \`framework_fix_needed\`. The worker needs:`,
        '',
        ...(trigger.needs ? trigger.needs.split('\n').map((l) => `> ${markdownText(l)}`) : ['> (the worker did not say: its `needs` was null)']),
        '',
      ];
    case 'protocol_mismatch':
      return [...head, "Trigger: **protocol mismatch** — the worker's CLI printed output the engine's parser does not understand (contract drift):", '', `> ${markdownText(trigger.detail)}`, '', `Run \`${doctorLive}\` to see the drift; the CLI version or the engine needs a change.`, ''];
  }
}

/** memo.md's section on a review_loop stop: what repeated, the request quoted, how to go on. Pure. */
export function loopSection(state: Pick<RunState, 'stop_reason'>, events: readonly TimelineEvent[], resumeCommand: string): string[] {
  if (state.stop_reason !== 'review_loop') return [];
  const loop = [...events].reverse().find((e) => e.type === 'loop.detected');
  if (!loop || loop.type !== 'loop.detected') return [];
  const what =
    loop.kind === 'same_request'
      ? `Step ${loop.step} asked in attempt ${loop.attempt} (milestone ${loop.milestone}) for the same changes as in attempt ${loop.first_attempt}. The repeated request:`
      : `Step ${loop.step} left in attempt ${loop.attempt} (milestone ${loop.milestone}) the same workspace tree \`${loop.tree}\` as in attempt ${loop.first_attempt}.${loop.request.length ? ' The request it was answering:' : ''}`;
  return [
    '## Loop',
    '',
    what,
    '',
    ...(loop.request.length ? [...loop.request.map((c) => `> - ${markdownText(c.replace(/\s+/g, ' ').trim())}`), ''] : loop.kind === 'same_request' ? [`> ${quoteRequest([])}`, ''] : []),
    `\`${engineCommandAnywhere('resume')}\` repeats step ${loop.step}; earlier rounds no longer count as repeats. To allow more review rounds than \`budgets.review_rounds\`, add \`--set budgets.review_rounds=N\`:`,
    '',
    '```',
    `${resumeCommand} --set budgets.review_rounds=${'N'}`,
    '```',
    '',
  ];
}
