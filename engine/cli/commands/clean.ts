import path from 'node:path';
import type { Command } from '../command.js';
import { flag, str, UsageError, repoOption } from '../command.js';
import { EXIT } from '../../vocabulary/exit-codes.js';
import { printDiagnostics, printJson } from './validate.js';
import type { Diagnostic } from '../../vocabulary/diagnostics.js';

/**
 * `engine clean`: remove the workspaces and private homes of completed runs, and of resumable
 * ones when asked (contract §5); with each, the run's branch when nothing is on it (still at
 * the run's base).
 */
export const cleanCommand: Command = {
  name: 'clean',
  summary: 'Remove the workspaces and private CLI homes of completed runs, and orphaned workspaces',
  allowPositionals: false,
  usage: 'clean [--repo DIR] [--all] [--resumable] [--older-than DAYS] [--dry-run] [--json] [--store DIR] [--workspaces DIR]',
  options: {
    repo: { type: 'string' },
    store: { type: 'string' },
    workspaces: { type: 'string' },
    all: { type: 'boolean' },
    resumable: { type: 'boolean' },
    'older-than': { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  optionHelp: {
    repo: 'the repo whose runs are cleaned (default: the repository the current directory is in)',
    store: 'the run store, if runs were started with --store (default <repo>/.engine/runs)',
    workspaces: 'where workspaces are, if runs were started with --workspaces',
    all: "every repo's workspaces under the workspaces root, not only this repo's",
    resumable: 'stopped and crashed runs too: they can no longer be resumed, and the work since their last checkpoint is lost',
    'older-than': 'only runs not written for this many days',
    'dry-run': 'say what would be removed, remove nothing',
    json: 'print one JSON document {workspaces, dry_run, runs, freed_bytes, diagnostics}',
  },
  async run(args, io) {
    const olderText = str(args, 'older-than');
    if (olderText !== undefined && !/^\d+(\.\d+)?$/.test(olderText)) throw new UsageError(`--older-than takes a number of days, got "${olderText}"`);
    const all = flag(args, 'all');
    if (all && str(args, 'store')) throw new UsageError('--store names one repo\'s run store: give it without --all');
    // `--all --repo X` cleaned every repo's workspaces, X unread (a review).
    if (all && str(args, 'repo') !== undefined) throw new UsageError('--repo names one repo: give it without --all (which cleans every repo\'s workspaces)');
    const [{ locateRepo }, { workspacesRoot, repoWorkspacesDir }, { defaultStoreDir }, { cleanRuns, listRepoFolders, pruneRunBranches }, { checkStoreDir, STORE_DIR_HINT }] = await Promise.all([
      import('../../git/repo.js'),
      import('../../git/workspace.js'),
      import('../../vocabulary/run-layout.js'),
      import('../../store/clean-runs.js'),
      import('../../store/check-store-dir.js'),
    ]);
    const json = flag(args, 'json');
    const wsOption = str(args, 'workspaces');
    const root = workspacesRoot(io.env, wsOption ? path.resolve(io.cwd, wsOption) : null);
    const options = { olderThanDays: olderText === undefined ? null : Number(olderText), nowMs: Date.now(), dryRun: flag(args, 'dry-run'), resumable: flag(args, 'resumable') };
    const reject = (d: Diagnostic): number => {
      if (json) printJson(io, { workspaces: root, dry_run: options.dryRun, runs: [], freed_bytes: 0, diagnostics: [d] });
      else printDiagnostics(io, [d]);
      return EXIT.invalid;
    };

    let targets: { dir: string; store: string | null; repo: string | null }[];
    if (all) {
      targets = listRepoFolders(root).map((f) => ({ dir: f.dir, store: f.repo ? defaultStoreDir(f.repo) : null, repo: f.repo }));
    } else {
      const repoArg = str(args, 'repo') ?? '.';
      repoOption(args, io.cwd);
      let top: string;
      try {
        top = (await locateRepo(path.resolve(io.cwd, repoArg))).top;
      } catch (error) {
        return reject({ code: 'E_USAGE', severity: 'error', message: (error as Error).message, file: repoArg, line: 0, col: 0 });
      }
      const storeOption = str(args, 'store');
      targets = [{ dir: repoWorkspacesDir(root, top), store: storeOption ? path.resolve(io.cwd, storeOption) : defaultStoreDir(top), repo: top }];
    }
    // A store that is a file or a FIFO has no record to read: every workspace would look like
    // an orphan's, a resumable run's included. Refused before anything is removed, as `report` does.
    const notStore = targets.flatMap((t) => (t.store === null ? [] : [{ store: t.store, problem: checkStoreDir(t.store) }])).find((n) => n.problem !== null);
    if (notStore) return reject({ code: 'E_FILE', severity: 'error', message: notStore.problem!, file: notStore.store, line: 0, col: 0, hint: STORE_DIR_HINT });
    // A folder whose repo is unknown has no store to ask: each of its workspaces is an orphan.
    const runs = [];
    for (const t of targets) runs.push(...(await pruneRunBranches(cleanRuns(t.dir, t.store ?? path.join(t.dir, '.no-store'), options), t.repo, options.dryRun)));
    const freed = runs.filter((r) => r.removed).reduce((n, r) => n + r.bytes, 0);
    if (json) {
      printJson(io, { workspaces: root, dry_run: options.dryRun, runs, freed_bytes: freed, diagnostics: [] });
      return EXIT.ok;
    }
    const verb = options.dryRun ? 'would remove' : 'removed';
    for (const r of runs) io.stdout(`${(r.removed ? verb : 'kept').padEnd(12)} ${r.run_id}  ${formatBytes(r.bytes).padStart(9)}  ${r.reason}\n`);
    const n = runs.filter((r) => r.removed).length;
    io.stdout(`${options.dryRun ? 'Would free' : 'Freed'} ${formatBytes(freed)} from ${n} workspace${n === 1 ? '' : 's'} under ${root}\n`);
    return EXIT.ok;
  },
};

/** 1536 → "1.5 KiB". Pure. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}
