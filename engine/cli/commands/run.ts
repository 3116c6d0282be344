import path from 'node:path';
import type { Command } from '../command.js';
import { flag, int, list, str, UsageError } from '../command.js';
import { repoTopOf } from '../../util/repo-top.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'Run a pipeline against a repo: explore, plan, implement, verify, review, checkpoint.',
  usage:
    'run [<pipeline.yaml>] [--repo DIR] (--task FILE | --goal TEXT) [--policy FILE]... [--set KEY=VALUE]... [--store DIR] [--workspaces DIR] [--run-id ID] [--seed N] [--scenario FILE] [--record | --replay RUN-DIR|FILE] [--max-ticks N] [--time MINUTES] [--json] [--no-progress]',
  allowPositionals: true,
  options: {
    repo: { type: 'string' },
    task: { type: 'string' },
    goal: { type: 'string' },
    policy: { type: 'string', multiple: true },
    set: { type: 'string', multiple: true },
    store: { type: 'string' },
    workspaces: { type: 'string' },
    'run-id': { type: 'string' },
    seed: { type: 'string' },
    scenario: { type: 'string' },
    record: { type: 'boolean' },
    replay: { type: 'string' },
    'max-ticks': { type: 'string' },
    time: { type: 'string' },
    json: { type: 'boolean' },
    'no-progress': { type: 'boolean' },
  },
  optionHelp: {
    repo: 'the target git repo (default: the repository the current directory is in)',
    task: 'a task file (kind: Task) with the goal',
    goal: 'the goal as text',
    policy: 'a policy file layered over the repo policy',
    set: 'override one policy key by its dotted path',
    store: 'where the run records go (default <repo>/.engine/runs)',
    workspaces: 'where run workspaces go (default $ENGINE_HOME/workspaces or ~/.local/state/engine/workspaces)',
    'run-id': 'the run id (default: time-sortable, random suffix)',
    seed: 'seed recorded with the run (default 0)',
    scenario: 'serve claude/codex workers from a scripted model on loopback',
    record: "save the claude/codex workers' model traffic in the run (model-recording.jsonl)",
    replay: 'serve claude/codex workers from a recording (a recorded run dir or its file), no network',
    'max-ticks': 'stop (resumably) after this many steps',
    time: 'stop (resumably) after this many minutes',
    json: 'stdout: the timeline events as JSON lines',
    'no-progress': 'no progress display on stderr',
  },
  async run(args, io) {
    const [named, ...extra] = args.positionals;
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    // No pipeline named: the repo's own .engine/pipeline.yaml, else the shipped default (as doctor does).
    const { repoPipelineFile } = await import('../../config/repo-pipeline.js');
    const pipelineFile = named ?? repoPipelineFile(repoTopOf(path.resolve(io.cwd, str(args, 'repo') ?? '.')));
    if (str(args, 'task') && str(args, 'goal')) throw new UsageError('give --task or --goal, not both');
    // The runtime loads only when a run is asked for: other commands start faster without it.
    const { startRun } = await import('../../runtime/start-run.js');
    const { launchRun } = await import('./run-output.js');
    const { code } = await launchRun(io, { json: flag(args, 'json'), noProgress: flag(args, 'no-progress') }, (ctx) =>
      startRun({
        pipelineFile,
        repo: str(args, 'repo') ?? '.',
        goal: str(args, 'goal'),
        taskFile: str(args, 'task'),
        policyFiles: list(args, 'policy'),
        sets: list(args, 'set'),
        storeDir: str(args, 'store'),
        workspacesDir: str(args, 'workspaces'),
        runId: str(args, 'run-id'),
        seed: int(args, 'seed') ?? 0,
        scenarioFile: str(args, 'scenario'),
        record: flag(args, 'record'),
        replayFrom: str(args, 'replay'),
        maxTicks: positive(int(args, 'max-ticks'), 'max-ticks'),
        timeMin: positive(num(str(args, 'time')), 'time'),
        cwd: io.cwd,
        processEnv: io.env,
        ...ctx,
      }),
    );
    return code;
  },
};

/** A positive number option, or undefined. Throws a usage error otherwise. */
export function positive(n: number | undefined, name: string): number | undefined {
  if (n !== undefined && !(n > 0)) throw new UsageError(`--${name} must be greater than 0, got ${n}`);
  return n;
}

/** Parse a decimal option (`--time`: minutes); a negative one is left to `positive` to refuse. */
export function num(v: string | undefined, name = 'time'): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(v)) throw new UsageError(`--${name} takes a number of minutes, got "${v}"`);
  if (!Number.isFinite(Number(v))) throw new UsageError(`--${name} takes a finite number of minutes, got ${v.slice(0, 30)}… (${v.length} characters)`);
  return Number(v);
}
