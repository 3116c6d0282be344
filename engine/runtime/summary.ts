import path from 'node:path';
import type { RunState } from '../generated/state.js';
import { defaultStoreDir } from '../vocabulary/run-layout.js';
import { shellWord } from '../util/shell-quote.js';
import { sayRemoveKeptBranch } from '../git/repo.js';
import { canResume } from '../store/can-resume.js';
import { describeLeftOut, describeUnmatchedShares } from '../git/workspace.js';
import { printable } from '../util/printable.js';
import { markdownText } from '../util/markdown-text.js';
import { describeViolations } from '../governance/check-changes.js';
import type { TimelineEvent } from '../generated/event.js';
import { kpiRows, renderKpiTable, type KpiTargets } from '../kpi/targets.js';
import { describeSandbox } from '../sandbox/sandbox-status.js';
import { frameworkSection, frameworkTriggerOf, loopSection } from './memo-sections.js';
import { doctorCommand, policyWords } from './doctor-command.js';
import { engineCommandAnywhere } from '../vocabulary/engine-command.js';

/**
 * The command that continues a stopped run, as it can be pasted into a shell anywhere: the
 * repo always, the store when it is not the repo's own (a run made with --repo or --store
 * elsewhere was told `engine resume <id>`, which from another directory found no such run),
 * each quoted for the shell when it needs it (a `$` or a backtick in a path runs nothing). Pure.
 */
export function resumeCommandOf(runDir: string, state: Pick<RunState, 'run_id' | 'repo'>): string {
  const store = path.dirname(runDir);
  const storeFlag = store === defaultStoreDir(state.repo) ? '' : ` --store ${shellWord(store)}`;
  return engineCommandAnywhere(`resume ${shellWord(state.run_id)} --repo ${shellWord(state.repo)}${storeFlag}`);
}

/** summary.md: what the run did, where it stands, the KPI table; `resumeCommand` continues it (resumeCommandOf). Pure. */
export function renderSummary(state: RunState, events: readonly TimelineEvent[], targets: KpiTargets, resumeCommand: string, o: { workspaceKept?: boolean } = {}): string {
  const k = state.kpis;
  const checkpoints = events.filter((e) => e.type === 'checkpoint.created');
  const lines = [
    `# Run ${state.run_id}`,
    '',
    `- status: **${state.status}**${state.stop_reason && state.stop_reason !== state.status ? ` (${state.stop_reason})` : ''}`,
    `- goal: ${oneLine(state.task.goal)}`,
    `- pipeline: ${state.pipeline.name} (${state.pipeline.path}, ${state.pipeline.hash.slice(0, 19)})`,
    ...(state.stop_reason === 'doctor_blocked'
      ? [state.branch_kept ? `- branch: \`${state.branch}\` in \`${state.repo}\`, kept (something checked it out or moved it since it was made): ${sayRemoveKeptBranch(state.repo, state.branch)}; the workspace was removed (the run was blocked before its first step)` : '- branch: none (removed with the workspace: the run was blocked before its first step)']
      : [`- branch: \`${state.branch}\` in \`${state.repo}\``, `- workspace: \`${state.workspace}\`${state.status !== 'completed' ? '' : o.workspaceKept ? ' (kept: it holds changes no checkpoint took, which the branch does not have; the pipeline has no checkpoint step after its last change)' : ' (removed: the branch holds the result)'}`]),
    `- milestones: ${k.milestones_done}/${k.milestones} done; worker calls: ${k.worker_calls}; ticks: ${state.counters.ticks}`,
    ...(k.secrets_scrubbed ? [`- secrets scrubbed: ${k.secrets_scrubbed} file(s) in worker homes held a secret's value (see the \`warning\` events; docs/runs.md)`] : []),
    ...events.flatMap((e) => (e.type === 'run.started' && e.sandbox ? [`- sandbox: ${describeSandbox(e.sandbox)}`] : [])),
    ...events.flatMap((e) => (e.type === 'run.started' && e.dirty_user_tree ? [e.base_sha === null ? `- note: ${describeLeftOut(null)}` : '- note: the repo had uncommitted changes when the run started; they are not part of the run (it starts from HEAD)'] : [])),
    ...events.flatMap((e) => (e.type === 'run.started' && e.share_unmatched?.length ? [`- note: ${describeUnmatchedShares(e.share_unmatched)}`] : [])),
    '',
    '## Milestones',
    '',
    ...state.milestones.map((m, i) => {
      const cp = checkpoints.find((e) => e.milestone === i + 1);
      const mark = cp && cp.type === 'checkpoint.created' ? `checkpoint ${cp.sha.slice(0, 10)}` : i + 1 <= k.milestones_done ? 'done, no change' : 'not done';
      return `${i + 1}. **${oneLine(m.id)}** — ${oneLine(m.goal)} (${mark})`;
    }),
    ...(state.milestones.length ? [] : ['(no plan yet)']),
    '',
    '## KPIs',
    '',
    renderKpiTable(kpiRows(k, targets)),
    ...kpiDecisionLines(events),
  ];
  if (state.status === 'completed' && checkpoints.length) {
    lines.push('## Next', '', `Review and merge the work: \`git log ${state.branch}\`, then \`git merge ${state.branch}\`.`, '');
  } else if (state.stop_reason === 'doctor_blocked') {
    // What blocks and what to do, here too: a new user's demo printed this file and the stop's
    // one line, and the install command of a missing CLI was in memo.md alone.
    const found = blockingFindingLines(events);
    lines.push('## Next', '', ...(found.length ? ['The run stopped before its first step: the preflight (the checks of `engine doctor`) found', '', ...found, ''] : []), `Fix what blocks (memo.md says the same): run \`${doctorCommand(state)}\` for details, then start a new run.`, '');
  } else if (state.status === 'stopped' && !canResume(state)) {
    lines.push('## Next', '', `See memo.md. This run ended at a stop of its pipeline (${state.stop_reason}) and cannot be resumed: mend what the memo says, then start a new run: \`${newRunCommand(state)}\``, '');
  } else if (state.status === 'stopped') {
    lines.push('## Next', '', `See memo.md. Continue with: \`${resumeCommand}\``, '');
  }
  // Milestone ids, goals and stop details come from workers: the file is read with cat too.
  return printable(lines.join('\n'));
}

/** memo.md for every stop but completed: reason, trigger, files, what was attempted, next command. Pure. */
export function renderMemo(state: RunState, events: readonly TimelineEvent[], resumeCommand: string): string {
  const stop = [...events].reverse().find((e) => e.type === 'step.stopped' || e.type === 'run.finished');
  const attempted = events
    .filter((e) => e.type === 'step.finished' || e.type === 'step.stopped')
    .slice(-8)
    .map((e) => `- ${e.step} (milestone ${e.milestone ?? '-'}, attempt ${e.attempt ?? '-'}): ${e.type === 'step.finished' ? e.outcome : `stopped, ${e.stop_reason}`}`);
  const lastCall = [...events].reverse().find((e) => e.type === 'worker.finished');
  const lastVerify = [...events].reverse().find((e) => e.type === 'verify.finished');
  const files = [...events].reverse().find((e) => e.type === 'checkpoint.created');
  const breach = state.stop_reason === 'governance_violation' || state.stop_reason === 'framework_fix_needed' ? [...events].reverse().find((e) => e.type === 'governance.violation') : undefined;
  const governance =
    breach && breach.type === 'governance.violation'
      ? [
          '## Governance',
          '',
          breach.violations.every((v) => v.rule === 'planned_outside_roots')
            ? `Worker call ${breach.call} planned paths no worker may change; the plan was refused before any milestone:`
            : `Worker call ${breach.call} changed what it must not:`,
          '',
          ...describeViolations(breach.violations, 50).map((line) => `- ${markdownText(line)}`),
          '',
          breach.patch
            ? `The change was rolled back and kept in ${breach.patch} (run directory); \`git apply\` it in a checkout to look at it.`
            : 'The worktree was not changed; the run store records were written back.',
          '',
        ]
      : [];
  const blocked = events.some((e) => e.type === 'doctor.blocked');
  const doctor = blocked
    ? [
        '## Doctor findings',
        '',
        'The run stopped before its first step: the preflight (the checks of `engine doctor`) found',
        '',
        ...blockingFindingLines(events),
        '',
        `Run \`${doctorCommand(state)}\` for details, fix what blocks, then start a new run.`,
        '',
      ]
    : [];
  // Stop details, errors and goals come from workers: the file is read with cat too.
  const lines = [
    `# Run ${state.run_id} stopped: ${state.stop_reason}`,
    '',
    `- trigger: ${state.stop_detail === null || state.stop_detail === undefined ? 'unknown' : markdownText(state.stop_detail)}`,
    // A blocked run's position is the step it would have begun with: it began none.
    ...(state.stop_reason === 'doctor_blocked' ? [atStep({ step: null })] : canResume(state) ? [atStep(state.position)] : [`${atStep(lastStepOf(events))}, which went to a stop of the pipeline`]),
    ...(lastCall && lastCall.type === 'worker.finished' ? [`- last worker call: ${lastCall.call} (${lastCall.outcome}${lastCall.error ? `: ${oneLine(lastCall.error)}` : ''})`] : []),
    ...(lastVerify && lastVerify.type === 'verify.finished' ? [`- last verification: ${lastVerify.tier} ${lastVerify.pass ? 'passed' : 'failed'}, log ${lastVerify.log}`] : []),
    ...(files && files.type === 'checkpoint.created' ? [`- last checkpoint: ${files.sha} (milestone ${files.milestone})`] : ['- no checkpoint yet']),
    ...(stop && stop.type === 'step.stopped' ? [`- detail: ${oneLine(stop.detail)}`] : []),
    '',
    ...frameworkSection(frameworkTriggerOf(state, events), doctorCommand(state, '--live')),
    ...loopSection(state, events, resumeCommand),
    ...governance,
    ...doctor,
    '## What was attempted (latest steps)',
    '',
    ...(attempted.length ? attempted : ['- nothing: the run stopped before its first step']),
    '',
    '## Next',
    '',
    ...(blocked || canResume(state) ? [] : [`The run ended at a stop of its pipeline: \`engine resume\` does not take it. Mend what this memo says, then start a new run:`, '']),
    '```',
    blocked ? doctorCommand(state) : canResume(state) ? resumeCommand : newRunCommand(state),
    '```',
    '',
  ];
  // Each entry is one line of the memo: a line break inside one came from a worker (its stderr
  // in the stop detail, a file name in a violation) and would let it write sections of its
  // own, a "## Next" with a command of its choosing above the real one.
  return printable(lines.map((l) => l.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ⏎ ')).join('\n'));
}

/** Where the run stood, saying only what is known (no `-` placeholders). Pure. */
export function atStep(p: { step?: string | null; milestone?: number | null; attempt?: number | null }): string {
  if (!p.step) return '- at step: none (the run stopped before its first step)';
  const within = [p.milestone ? `milestone ${p.milestone}` : null, p.attempt ? `attempt ${p.attempt}` : null].filter(Boolean).join(', ');
  return `- at step: ${p.step}${within ? ` (${within})` : ''}`;
}

/** The findings of the run's doctor.blocked event, one Markdown item each with its hint (none: no such event). Pure. */
function blockingFindingLines(events: readonly TimelineEvent[]): string[] {
  const blocked = [...events].reverse().find((e) => e.type === 'doctor.blocked');
  return blocked && blocked.type === 'doctor.blocked' ? blocked.findings.map((f) => `- ${f.id}: ${f.message}${f.hint ? ` — ${f.hint}` : ''}`) : [];
}

/** Where the run's last step was, from its timeline: the last step that finished or stopped. Pure. */
function lastStepOf(events: readonly TimelineEvent[]): { step: string | null; milestone: number | null; attempt: number | null } {
  const last = [...events].reverse().find((e) => e.type === 'step.finished' || e.type === 'step.stopped');
  return last ? { step: last.step, milestone: last.milestone, attempt: last.attempt } : { step: null, milestone: null, attempt: null };
}

/** A new run of the same pipeline, repo and task (its file, or its goal). Pure. */
function newRunCommand(state: RunState): string {
  const task = state.task.file ? `--task ${shellWord(state.task.file)}` : `--goal ${shellWord(state.task.goal)}`;
  return engineCommandAnywhere(`run ${shellWord(state.pipeline.path)} --repo ${shellWord(state.repo)}${policyWords(state)} ${task}`);
}

/** Worker text on one line of Markdown: its whitespace one space, cut at 200 characters, its markup escaped (markdownText). Pure. */
function oneLine(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return markdownText(t.length > 200 ? t.slice(0, 197) + '…' : t);
}

/** summary.md's list of what KPIs over target made the engine do (docs/kpis.md). Pure. */
export function kpiDecisionLines(events: readonly TimelineEvent[]): string[] {
  const decisions = events.filter((e) => e.type === 'kpi.decision');
  if (!decisions.length) return [];
  return [
    '## KPI decisions',
    '',
    ...decisions.map((e) => (e.type === 'kpi.decision' ? `- ${e.decision} (${e.kpi} ${e.value}, target ${e.target}${e.milestone ? `, milestone ${e.milestone}` : ''}): ${oneLine(e.detail)}` : '')),
    '',
  ];
}
