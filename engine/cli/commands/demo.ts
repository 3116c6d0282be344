import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { readRunRecordJson } from '../../util/read-run-record.js';
import os from 'node:os';
import path from 'node:path';
import type { Command } from '../command.js';
import { flag, str, UsageError } from '../command.js';
import type { CliIo } from '../io.js';
import { packageRoot } from '../../paths.js';
import { shellWord } from '../../util/shell-quote.js';
import { describeFsError, whyAt } from '../../util/describe-fs-error.js';

/** The task the demo runs: a vague goal in an empty repo, scripted end to end. */
export const DEMO_TASK = 'tasks/golden/ambiguous-bootstrap.task.yaml';
export const DEMO_PIPELINE = 'pipelines/default.pipeline.yaml';

/**
 * `engine demo [--dir DIR] [--json] [--no-progress]`: the default pipeline on a scratch git
 * repo, with the real claude and codex CLIs pointed at the scripted model of the demo task.
 * Without `--dir` everything it writes (repo, workspace, run records, the CLIs' private homes)
 * is under one new temp dir; the user's own files and CLI logins are not touched. Output and exit code are
 * those of `engine run`, plus where the scratch repo and the branch are.
 */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'Run the default pipeline offline on a scratch repo: real claude and codex CLIs, scripted model',
  usage: 'demo [--dir DIR] [--json] [--no-progress]',
  allowPositionals: false,
  options: {
    dir: { type: 'string' },
    json: { type: 'boolean' },
    'no-progress': { type: 'boolean' },
  },
  optionHelp: {
    dir: 'the scratch repo to create (must not exist or be empty; default: a new temp dir)',
    json: 'stdout: the timeline events as JSON lines',
    'no-progress': 'no progress display on stderr',
  },
  async run(args, io) {
    const json = flag(args, 'json');
    const given = str(args, 'dir');
    const dir = scratchDir(given, io.cwd);
    // Without --dir the workspace goes beside the scratch repo, under the same temp dir.
    const workspacesDir = given === undefined ? path.join(path.dirname(dir), 'workspaces') : undefined;
    const { ensureGitRepo } = await import('../../git/repo.js');
    // git makes the scratch repo while the modules a run needs load (the scripted model's
    // server among them): their compiling fills the wait instead of following it.
    const making = ensureGitRepo(dir);
    making.catch(() => undefined);
    const [{ startRun }, { launchRun }] = await Promise.all([import('../../runtime/start-run.js'), import('./run-output.js'), import('../../stub/index.js')]);
    let root: string;
    try {
      ({ root } = await making);
    } catch (error) {
      // A --dir the system refuses (read-only, under /proc or /sys, a file in the way) is the user's to change.
      const fs = describeFsError(error);
      if (!fs) throw error;
      throw new UsageError(`cannot make the scratch repo in ${dir}: ${whyAt(fs, dir)}; give --dir a directory you can write`);
    }
    const taskFile = path.join(packageRoot, DEMO_TASK);
    const taskPolicy = taskFile.replace(/\.task\.yaml$/, '.policy.yaml');
    if (!json) io.stderr(`demo: scratch repo ${root}\n`);
    const { code, outcome } = await launchRun(io, { json, noProgress: flag(args, 'no-progress') }, (ctx) =>
      startRun({
        pipelineFile: path.join(packageRoot, DEMO_PIPELINE),
        repo: root,
        taskFile,
        policyFiles: existsSync(taskPolicy) ? [taskPolicy] : [],
        sets: [],
        seed: 0,
        workspacesDir,
        cwd: io.cwd,
        processEnv: io.env,
        ...ctx,
      }),
    );
    if (outcome && !json) printWhere(io, root, demoRecordOf(outcome.runDir));
    return code;
  },
};

/** The scratch dir: `--dir` when it does not exist or is empty, else a new temp dir. Impure. */
function scratchDir(given: string | undefined, cwd: string): string {
  if (given === undefined) return path.join(mkdtempSync(path.join(os.tmpdir(), 'engine-demo-')), 'repo');
  const dir = path.resolve(cwd, given);
  if (!existsSync(dir)) return dir;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    // A file, or a directory it may not list: the user's to mend, never the engine's fault.
    const why = (e as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'is a file, not a directory' : `cannot be listed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    throw new UsageError(`--dir ${given} ${why}; the demo creates its scratch repo in a new or empty directory`);
  }
  if (names.length > 0) throw new UsageError(`--dir ${given} is not empty; the demo creates its scratch repo in a new or empty directory`);
  return dir;
}

/**
 * Where the demo's work is: the scratch repo, and the branch and workspace only when the run
 * made them (a run the doctor blocked has neither: the command shown for its branch failed).
 */
function printWhere(io: CliIo, repo: string, record: DemoRecord): void {
  io.stdout(demoWhereLines(repo, record, record.workspace !== null && existsSync(record.workspace)).join('\n'));
}

/** printWhere's lines. Pure. */
export function demoWhereLines(repo: string, record: DemoRecord, workspaceExists: boolean): string[] {
  const { branch, workspace, completed } = record;
  const gone = completed ? ' (removed: the run completed, its branch holds the result)' : ' (removed)';
  return [
    '',
    `scratch repo: ${repo}`,
    ...(branch ? [`branch:       ${branch} — see it with: git -C ${shellWord(repo)} log --stat ${shellWord(branch)}`] : []),
    ...(workspace ? [`workspace:    ${workspace}${workspaceExists ? '' : gone}`] : []),
    '',
  ];
}

export interface DemoRecord {
  branch: string | null;
  workspace: string | null;
  completed: boolean;
}

/** The run's branch and workspace as its state.json records them (null when it made none), and whether it completed. Impure. */
export function demoRecordOf(runDir: string): DemoRecord {
  try {
    const state = readRunRecordJson(path.join(runDir, 'state.json')) as { branch?: unknown; workspace?: unknown; status?: unknown; stop_reason?: unknown };
    // A run blocked before its first step removes its branch and workspace (as its summary says).
    if (state.stop_reason === 'doctor_blocked') return { branch: null, workspace: null, completed: false };
    const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
    return { branch: text(state.branch), workspace: text(state.workspace), completed: state.status === 'completed' };
  } catch {
    return { branch: null, workspace: null, completed: false };
  }
}
