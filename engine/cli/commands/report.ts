import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from '../command.js';
import { flag, str, UsageError } from '../command.js';
import { EXIT } from '../exit-codes.js';
import type { Diagnostic } from '../../config/diagnostics.js';
import type { Report } from '../../report/build-report.js';
import { printDiagnostics, printJson } from './validate.js';

/** `engine report`: KPIs per milestone, per run and across runs, against the policy's targets. */
export const reportCommand: Command = {
  name: 'report',
  summary: 'Report runs of a run store: per-milestone detail, KPIs per run and across runs against kpi_targets',
  usage: 'report [<run-id>... | --all | latest] [--repo DIR] [--store DIR] [--json] [--html FILE]',
  options: {
    all: { type: 'boolean' },
    repo: { type: 'string' },
    store: { type: 'string' },
    json: { type: 'boolean' },
    html: { type: 'string' },
  },
  optionHelp: {
    all: 'every run in the store, oldest first (instead of run ids; default: the newest run, "latest")',
    repo: 'the target repo: its .engine/runs is the store and its merged policy gives the kpi_targets (default: the current directory)',
    store: 'the run store, if runs were started with --store (default <repo>/.engine/runs)',
    json: 'print one JSON document {store, runs, across, diagnostics} on stdout',
    html: 'also write the report as one self-contained HTML file',
  },
  allowPositionals: true,
  async run(args, io) {
    const all = flag(args, 'all');
    if (all && args.positionals.length) throw new UsageError(`give run ids or --all, not both (got --all and "${args.positionals[0]}")`);
    const json = flag(args, 'json');
    const htmlFile = str(args, 'html');
    if (htmlFile === '') throw new UsageError('--html takes a file name');
    const [{ resolvePolicy }, { loadStoreRuns }, { defaultStoreDir }, { selectRuns }, { readReportRuns }, { buildReport }] = await Promise.all([
      import('../../config/policy/resolve-policy.js'),
      import('../../report/index-runs.js'),
      import('../../runtime/run-dir.js'),
      import('../../report/select-runs.js'),
      import('../../report/read-runs.js'),
      import('../../report/build-report.js'),
    ]);
    const repo = path.resolve(io.cwd, str(args, 'repo') ?? '.');
    const storeOption = str(args, 'store');
    const store = storeOption ? path.resolve(io.cwd, storeOption) : defaultStoreDir(repo);
    const fail = (diagnostics: Diagnostic[]): number => {
      if (json) printJson(io, { store, runs: [], across: null, diagnostics });
      else printDiagnostics(io, diagnostics);
      return EXIT.invalid;
    };

    const policy = await resolvePolicy({ repo, files: [], sets: [], cwd: io.cwd });
    if (!policy.policy) return fail(policy.diagnostics);
    const stored = await loadStoreRuns(store);
    if (!stored.length) {
      const missing = existsSync(store) ? '' : ' (the directory does not exist)';
      const start = `engine run <pipeline.yaml> --repo ${shellWord(repo)} --goal "…"${storeOption ? ` --store ${shellWord(store)}` : ''}`;
      return fail([problem('E_NO_RUNS', `no runs in ${store}${missing}`, `start one with \`${start}\`${storeOption ? '' : ', or name another store with --store'}`)]);
    }
    const selected = selectRuns(stored, all ? { all: true } : { all: false, ids: args.positionals });
    if (!selected.ok) {
      const names = selected.unknown.map((id) => `"${id}"`).join(', ');
      return fail([problem('E_UNKNOWN_RUN', `no run ${names} in ${store}`, `the newest is ${stored.at(-1)!.state.run_id}; \`engine report --all\` reports all ${stored.length}`)]);
    }

    const report = buildReport({ store, runs: await readReportRuns(selected.runs), targets: policy.policy.kpi_targets });
    const warnings = report.runs.flatMap((r) => r.notes.map((note) => problem('W_RUN_RECORD', `run ${r.run_id}: ${note}`, undefined, 'warning')));
    if (htmlFile !== undefined) {
      const written = await writeHtml(path.resolve(io.cwd, htmlFile), report, store, selected.runs.map((r) => r.dir));
      if (written) return fail([written]);
    }
    if (json) {
      printJson(io, { ...report, diagnostics: [...policy.diagnostics, ...warnings] });
      return EXIT.ok;
    }
    const { renderText } = await import('../../report/render-text.js');
    printDiagnostics(io, [...policy.diagnostics, ...warnings]);
    io.stdout(renderText(report));
    if (htmlFile !== undefined) io.stderr(`wrote ${htmlFile}\n`);
    return EXIT.ok;
  },
};

/** How many of the selected runs (the newest) the page draws a timeline and links records for. */
const DETAILED_RUNS = 20;

/**
 * Write the HTML report atomically, with the timelines and records of the newest selected
 * runs linked relative to the page; a diagnostic when the file cannot be written. Impure.
 */
async function writeHtml(file: string, report: Report, store: string, runDirs: readonly string[]): Promise<Diagnostic | null> {
  const [{ renderHtml }, { writeFileAtomic }, { readRunDetails }, { eventCheck }] = await Promise.all([
    import('../../report/render-html.js'),
    import('../../store/atomic.js'),
    import('../../report/read-details.js'),
    import('../../report/index-runs.js'),
  ]);
  try {
    // A directory in the way would fail only at the rename, after the temp file is written.
    if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) return problem('E_FILE', `cannot write ${file}: it is a directory`);
    const isEvent = await eventCheck();
    const details = Object.fromEntries(report.runs.map((r, i) => [r.run_id, runDirs[i]!] as const).slice(-DETAILED_RUNS).map(([id, dir]) => [id, readRunDetails(dir, isEvent)]));
    const rel = path.relative(path.dirname(file), store).split(path.sep).join('/') || '.';
    const storeLabel = rel === '.' ? 'this directory' : rel.startsWith('..') || path.isAbsolute(rel) ? `the store ${path.basename(path.dirname(path.dirname(store)))}/${path.basename(path.dirname(store))}/${path.basename(store)}` : rel;
    writeFileAtomic(file, renderHtml(report, { details, storeHref: rel, storeLabel, now: new Date().toISOString(), timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone }));
    return null;
  } catch (error) {
    return problem('E_FILE', `cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function problem(code: string, message: string, hint?: string, severity: Diagnostic['severity'] = 'error'): Diagnostic {
  return { code, severity, message, file: 'engine report', line: 0, col: 0, ...(hint ? { hint } : {}) };
}

function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
