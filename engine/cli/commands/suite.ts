import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from '../command.js';
import { flag, int, str, UsageError } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { packageRoot } from '../../paths.js';
import { engineVersion, schemaVersion } from '../../version.js';
import { printDiagnostics, printJson } from './validate.js';

/**
 * `engine suite <task-or-dir>... [--repeat N] [--jobs N] [--pipeline FILE] [--json]`: every task (a
 * golden one must complete, a hostile one must end with the stop reason it declares in
 * `expect`) run N times, each in a scratch repo of its own, with the task's
 * `<name>.policy.yaml` when there is one. With repeats, planned paths, test outcomes and
 * checkpoint trees must be identical. A task may also declare the paths its plan names and
 * the most files a run may change; no run may land a governance violation; the suite's
 * parse failures (deliberate ones apart) stay under 1 per 100 calls. Exit 0 when all of
 * that holds, 1 otherwise.
 */
export const suiteCommand: Command = {
  name: 'suite',
  summary: 'Run golden and hostile tasks, each in a scratch repo, and check each ends as declared',
  usage: 'suite <task-or-dir>... [--repeat N] [--jobs N] [--pipeline FILE] [--json]',
  allowPositionals: true,
  options: {
    repeat: { type: 'string' },
    jobs: { type: 'string' },
    pipeline: { type: 'string' },
    json: { type: 'boolean' },
  },
  optionHelp: {
    repeat: 'run each task N times (default 1); repeats must agree on planned paths, test outcomes and checkpoint trees',
    jobs: 'runs at a time (default 1); each has its own scratch repo, run store and scripted model',
    pipeline: 'the pipeline to run (default: the shipped pipelines/default.pipeline.yaml)',
    json: 'print one JSON document {tasks, totals, passed, failed} on stdout (progress stays on stderr)',
  },
  async run(args, io) {
    if (args.positionals.length === 0) throw new UsageError('name at least one task file or directory of tasks');
    const repeat = int(args, 'repeat') ?? 1;
    if (repeat < 1) throw new UsageError(`--repeat must be at least 1, got ${repeat}`);
    const jobs = int(args, 'jobs') ?? 1;
    if (jobs < 1) throw new UsageError(`--jobs must be at least 1, got ${jobs}`);
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
    // Every input is checked before a scratch repo is made: the pipeline, then each task.
    const diagnostics = [...pipeline.diagnostics, ...loadedTasks.diagnostics];
    if (diagnostics.some((d) => d.severity === 'error')) {
      if (json) printJson(io, { schema_version: schemaVersion, engine_version: engineVersion, tasks: [], diagnostics });
      else printDiagnostics(io, diagnostics);
      return EXIT.invalid;
    }
    const base = mkdtempSync(path.join(os.tmpdir(), 'engine-suite-'));
    io.stderr(`suite: ${tasks.length} task(s) × ${repeat}${jobs > 1 ? `, ${jobs} at a time` : ''}, scratch repos under ${base}\n`);
    const interrupt = interruptSignal();
    try {
      const { results, interrupted } = await runSuite({
        tasks,
        repeat,
        jobs,
        pipelineFile,
        base,
        cwd: io.cwd,
        processEnv: io.env,
        signal: interrupt.signal,
        // Progress goes to stderr with --json too: stdout carries only the document.
        onRun: (task, run, index, total) => io.stderr(`${renderRunLine(task.name, task.expect, run, index, total)}\n`),
      });
      const passed = results.filter((r) => r.ok).length;
      const totals = totalsOf(results);
      if (json) {
        printJson(io, { schema_version: schemaVersion, engine_version: engineVersion, base, repeat, interrupted, tasks: results, totals, passed, failed: results.length - passed });
      } else {
        io.stdout(renderSuite(results, repeat, base, totals));
      }
      if (interrupted) return EXIT.interrupted;
      return passed === tasks.length && totals.missed.length === 0 ? EXIT.ok : EXIT.stopped;
    } finally {
      interrupt.dispose();
    }
  },
};
