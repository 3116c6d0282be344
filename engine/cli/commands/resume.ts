import { printable } from '../../util/printable.js';
import type { Command } from '../command.js';
import { flag, int, list, str, UsageError, repoOption } from '../command.js';
import { num, positive } from './run.js';

export const resumeCommand: Command = {
  name: 'resume',
  summary: 'Continue a run from its last persisted state after any stop or crash.',
  usage: 'resume <run-id|run-dir|latest> [--repo DIR] [--store DIR] [--policy FILE]... [--set KEY=VALUE]... [--max-ticks N] [--time MINUTES] [--force] [--reload-config] [--json] [--no-progress]',
  allowPositionals: true,
  options: {
    repo: { type: 'string' },
    store: { type: 'string' },
    policy: { type: 'string', multiple: true },
    set: { type: 'string', multiple: true },
    'max-ticks': { type: 'string' },
    time: { type: 'string' },
    force: { type: 'boolean' },
    'reload-config': { type: 'boolean' },
    json: { type: 'boolean' },
    'no-progress': { type: 'boolean' },
  },
  optionHelp: {
    repo: 'the target repo whose .engine/runs holds the run (default: the repository the current directory is in)',
    store: 'the run store, if the run was started with --store',
    policy: 'replace the run\'s policy files (recorded with their hash)',
    set: 'override one more policy key',
    'max-ticks': 'allow this many more steps',
    time: 'allow this many more minutes',
    force: 'accept hand edits (discarded) or a changed environment; counted as a human intervention',
    'reload-config': "take the repo's current pipeline, policy and templates instead of the run's snapshot (the diff is shown and recorded; counted as a human intervention)",
    json: 'stdout: the timeline events as JSON lines',
    'no-progress': 'no progress display on stderr',
  },
  async run(args, io) {
    const [run, ...extra] = args.positionals;
    if (!run) throw new UsageError('missing the run id or run directory');
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    repoOption(args, io.cwd);
    // The runtime loads only when a run is asked for: other commands start faster without it.
    const { resumeRun } = await import('../../runtime/resume-run.js');
    const { launchRun } = await import('./run-output.js');
    const { code } = await launchRun(io, { json: flag(args, 'json'), noProgress: flag(args, 'no-progress'), resuming: run }, (ctx) =>
      resumeRun({
        run,
        repo: str(args, 'repo'),
        storeDir: str(args, 'store'),
        policyFiles: list(args, 'policy'),
        sets: list(args, 'set'),
        maxTicks: positive(int(args, 'max-ticks'), 'max-ticks'),
        timeMin: positive(num(str(args, 'time')), 'time'),
        force: flag(args, 'force'),
        reloadConfig: flag(args, 'reload-config'),
        warn: (text) => io.stderr(printable(text)),
        cwd: io.cwd,
        processEnv: io.env,
        ...ctx,
      }),
    );
    return code;
  },
};
