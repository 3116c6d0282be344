import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from '../command.js';
import { flag, int, str, UsageError } from '../command.js';
import { EXIT } from '../../vocabulary/exit-codes.js';
import { packageRoot } from '../../paths.js';
import { engineVersion, schemaVersion } from '../../version.js';
import { printDiagnostics, printJson } from './validate.js';
import { makeDirectory } from '../../util/make-directory.js';
import { printable } from '../../util/printable.js';

/**
 * `engine suite <task-or-dir>... [--repeat N] [--jobs N] [--shard K/N] [--store DIR]
 * [--pipeline FILE] [--json]`: every task (a golden one must complete, a hostile one must end
 * with the stop reason it declares in `expect`) run N times, each in a scratch repo of its
 * own, up to `--jobs` at a time, with the task's `<name>.policy.yaml` when there is one,
 * every run in one store. With repeats, planned paths, test outcomes and checkpoint trees
 * must be identical. A task may also declare the paths its plan names and the most files a
 * run may change; no run may land a governance violation; the parse failures of the tasks
 * that must complete stay under 1 per 100 calls. `--shard K/N` runs the task × repeat
 * pairs that hash to shard K (docs/scale-out.md). Exit 0 when all of that holds, 1 otherwise.
 */
export const suiteCommand: Command = {
  name: 'suite',
  summary: 'Run golden and hostile tasks, each in a scratch repo, and check each ends as declared',
  usage: 'suite <task-or-dir>... [--repeat N] [--jobs N] [--shard K/N] [--store DIR] [--pipeline FILE] [--json]',
  allowPositionals: true,
  options: {
    repeat: { type: 'string' },
    jobs: { type: 'string' },
    shard: { type: 'string' },
    store: { type: 'string' },
    pipeline: { type: 'string' },
    json: { type: 'boolean' },
  },
  optionHelp: {
    repeat: 'run each task N times (default 1); repeats must agree on planned paths, test outcomes and checkpoint trees',
    jobs: 'runs at a time (default 1); each has its own scratch repo and scripted model',
    shard: 'run only shard K of N: the task × repeat pairs whose hash picks K (run every shard from the same directory with the same arguments)',
    store: 'the run store every run of the suite goes to (default: <scratch dir>/runs); `engine report --store` reads it',
    pipeline: 'the pipeline to run (default: the shipped pipelines/default.pipeline.yaml)',
    json: 'print one JSON document {tasks, totals, passed, failed} on stdout (progress stays on stderr)',
  },
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError('name at least one task file or directory of tasks');
    const repeat = int(args, 'repeat') ?? 1;
    if (repeat < 1) throw new UsageError(`--repeat must be at least 1, got ${repeat}`);
    const jobs = int(args, 'jobs') ?? 1;
    if (jobs < 1) throw new UsageError(`--jobs must be at least 1, got ${jobs}`);
    const shardText = str(args, 'shard');
    const { parseShard } = await import('../../suite/shard-suite.js');
    const shard = shardText === undefined ? null : parseShard(shardText);
    if (shard && 'error' in shard) throw new UsageError(shard.error);
    const storeOption = str(args, 'store');
    if (storeOption === '') throw new UsageError('--store takes a directory');
    const json = flag(args, 'json');
    const pipelineFile = path.resolve(io.cwd, str(args, 'pipeline') ?? path.join(packageRoot, 'pipelines', 'default.pipeline.yaml'));
    const { loadSuiteTasks, runSuite } = await import('../../suite/run-suite.js');
    const { renderRunLine, renderSuite } = await import('../../suite/render-suite.js');
    const { totalsOf } = await import('../../suite/judge-suite.js');
    const { interruptSignal } = await import('./run-output.js');

    const { loadPipeline } = await import('../../config/load-typed.js');
    const pipeline = await loadPipeline(pipelineFile);
    const loadedTasks = await loadSuiteTasks(args.positionals, io.cwd);
    const { tasks } = loadedTasks;
    // Every input is checked before a scratch repo is made: the pipeline, each task, and that no start_from holds where the suite writes.
    const { checkStartFroms } = await import('../../suite/check-start-from.js');
    const places = { scratchIn: os.tmpdir(), store: storeOption ? path.resolve(io.cwd, storeOption) : null };
    const diagnostics = [...pipeline.diagnostics, ...loadedTasks.diagnostics, ...checkStartFroms(tasks, places)];
    if (diagnostics.some((d) => d.severity === 'error')) {
      if (json) printJson(io, { schema_version: schemaVersion, engine_version: engineVersion, tasks: [], diagnostics });
      else printDiagnostics(io, diagnostics);
      return EXIT.invalid;
    }
    // The named store is made first: a store that cannot be made leaves no scratch dir behind.
    if (storeOption) {
      // A file or FIFO there is said as every command says it (E_FILE), not as a directory not made.
      (await import('../../store/check-store-dir.js')).assertStoreDir(path.resolve(io.cwd, storeOption));
      try {
        makeDirectory(path.resolve(io.cwd, storeOption));
      } catch (error) {
        throw new UsageError(`--store ${storeOption}: cannot make the directory (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
    }
    const base = mkdtempSync(path.join(os.tmpdir(), 'engine-suite-'));
    const store = storeOption ? path.resolve(io.cwd, storeOption) : path.join(base, 'runs');
    makeDirectory(store);
    // Even a shard that owns no run leaves a file in its store, so the store can be uploaded and pooled.
    const { touchSuiteRuns } = await import('../../suite/run-suite.js');
    touchSuiteRuns(store);
    const shardNote = shard ? `, shard ${shard.index}/${shard.count}` : '';
    io.stderr(`suite: ${tasks.length} task(s) × ${repeat}${shardNote}${jobs > 1 ? `, ${jobs} at a time` : ''}, scratch repos under ${base}, runs in ${store}\n`);
    const interrupt = interruptSignal((signal) => io.stderr(`${printable(`suite: a second ${signal}: stopped at once, the processes it started were ended; the runs stopped are left as a crash leaves them, in ${store}`)}\n`));
    try {
      const { results, interrupted } = await runSuite({
        tasks,
        repeat,
        jobs,
        pipelineFile,
        base,
        store,
        shard,
        cwd: io.cwd,
        processEnv: io.env,
        signal: interrupt.signal,
        // Progress goes to stderr with --json too: stdout carries only the document.
        onRun: (task, run, index, total) => io.stderr(`${renderRunLine(task.name, task.expect, run, index, total)}\n`),
      });
      const passed = results.filter((r) => r.ok).length;
      const totals = totalsOf(results);
      if (json) {
        printJson(io, { schema_version: schemaVersion, engine_version: engineVersion, base, store, shard: shard ? `${shard.index}/${shard.count}` : null, repeat, interrupted, tasks: results, totals, passed, failed: results.length - passed });
      } else {
        io.stdout(renderSuite(results, repeat, base, store, totals));
      }
      if (interrupted) return EXIT.interrupted;
      return passed === results.length && totals.missed.length === 0 ? EXIT.ok : EXIT.stopped;
    } finally {
      interrupt.dispose();
    }
  },
};
