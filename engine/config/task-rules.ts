import type { EngineTask } from '../generated/task.js';
import type { Rule, RuleContext } from '../vocabulary/rule-context.js';
import { globProblem } from './glob-problem.js';

/** Facts from disk the task rules need, gathered by the caller. */
export interface TaskFacts {
  scenarioExists: boolean;
  /** The scenario path names a directory. */
  scenarioIsDirectory?: boolean;
  /** The scenario path names what is neither a file nor a directory (a FIFO, a device, a socket). */
  scenarioIsOther?: boolean;
  /** The scenario path resolved against the task file's directory. */
  scenarioPath?: string;
  /** `start_from` resolved against the task file's directory, and whether it is a directory. */
  startFromPath?: string;
  startFromIsDirectory?: boolean;
}

/** Stage-3 rules of a task file (beyond its schema). Pure. */
export function taskRules(facts: TaskFacts): Rule<EngineTask>[] {
  return [(ctx) => checkScenarioExists(ctx, facts), (ctx) => checkStartFrom(ctx, facts), checkRootsAreRelative];
}

function checkStartFrom(ctx: RuleContext<EngineTask>, facts: TaskFacts): void {
  if (ctx.data.start_from === undefined || facts.startFromIsDirectory !== false) return;
  ctx.report('E_FILE', ['start_from'], `start_from \`${ctx.data.start_from}\` is not a directory (looked at ${facts.startFromPath ?? ctx.data.start_from})`, 'the path is relative to the task file');
}

function checkScenarioExists(ctx: RuleContext<EngineTask>, facts: TaskFacts): void {
  if (ctx.data.scenario === undefined || facts.scenarioExists) return;
  const what = facts.scenarioIsDirectory ? 'is a directory, not a file' : facts.scenarioIsOther ? 'is not a regular file (a FIFO, a device or a socket)' : 'not found';
  ctx.report('E_FILE', ['scenario'], `scenario file \`${ctx.data.scenario}\` ${what} (looked at ${facts.scenarioPath ?? ctx.data.scenario})`, 'the path is relative to the task file');
}

/** allowed_roots and owns are repo-relative globs (globProblem: an absolute path or one leaving the repo never matches). */
function checkRootsAreRelative(ctx: RuleContext<EngineTask>): void {
  for (const key of ['allowed_roots', 'owns'] as const) {
    (ctx.data[key] ?? []).forEach((glob, i) => {
      const why = globProblem(glob);
      if (why) ctx.report('E_SCHEMA', [key, i], `\`${key}.${i}\` ${JSON.stringify(glob)}: ${why}`);
    });
  }
}
