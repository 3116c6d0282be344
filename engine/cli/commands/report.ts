import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Command } from '../command.js';
import { flag, list, str, UsageError, repoOption } from '../command.js';
import { EXIT } from '../../vocabulary/exit-codes.js';
import type { Diagnostic } from '../../vocabulary/diagnostics.js';
import type { Report } from '../../report/build-report.js';
import { printDiagnostics, printJson } from './validate.js';
import { findRepoTop, repoTopOf } from '../../util/repo-top.js';
import { describeFsError, whyAt } from '../../util/describe-fs-error.js';
import { shellWord } from '../../util/shell-quote.js';
import { plural } from '../../util/plural.js';
import { engineCommand } from '../../vocabulary/engine-command.js';
import { printable } from '../../util/printable.js';

/**
 * `engine report`: KPIs per milestone, per run and across runs, against the policy's targets.
 * Several `--store` options pool their runs (a sharded suite's stores): one list, KPIs across
 * every run of every store; a run id in two stores is refused (docs/scale-out.md).
 */
export const reportCommand: Command = {
  name: 'report',
  summary: 'Report runs of a run store: per-milestone detail, KPIs per run and across runs against kpi_targets',
  usage: 'report [<run-id>... | --all | latest] [--repo DIR] [--store DIR]... [--json] [--html FILE] [--baseline FILE]',
  options: {
    all: { type: 'boolean' },
    repo: { type: 'string' },
    store: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    html: { type: 'string' },
    baseline: { type: 'string' },
  },
  optionHelp: {
    all: 'every run in the store, oldest first (instead of run ids; default: the newest run, "latest")',
    repo: 'the target repo: its .engine/runs is the store and its merged policy gives the kpi_targets (default: the repository the current directory is in)',
    store: 'the run store, if runs were started with --store (default <repo>/.engine/runs); repeat it to pool several stores (e.g. the shards of a suite)',
    json: 'print one JSON document {store, runs, across, diagnostics} on stdout',
    html: 'also write the report as one self-contained HTML file',
    baseline: "write the median and p90 milestone time of the selected completed runs into this policy file as kpi_targets (e.g. .engine/policy.yaml; never the engine's defaults)",
  },
  allowPositionals: true,
  async run(args, io) {
    const all = flag(args, 'all');
    if (all && args.positionals.length) throw new UsageError(`give run ids or --all, not both (got --all and "${args.positionals[0]}")`);
    const json = flag(args, 'json');
    const htmlFile = str(args, 'html');
    if (htmlFile === '') throw new UsageError('--html takes a file name');
    const [{ defaultStoreDir }, { readReportRuns }, { buildReport }] = await Promise.all([import('../../vocabulary/run-layout.js'), import('../../report/read-runs.js'), import('../../report/build-report.js')]);
    const repo = repoTopOf(repoOption(args, io.cwd) ?? io.cwd);
    const storeOptions = list(args, 'store');
    if (storeOptions.some((s) => s === '')) throw new UsageError('--store takes a directory');
    const stores = storeOptions.length ? storeOptions.map((s) => path.resolve(io.cwd, s)) : [defaultStoreDir(repo)];
    const store = stores[0]!;
    const pooled = stores.length > 1;
    const fail = (diagnostics: Diagnostic[]): number => {
      if (json) printJson(io, { store, ...(pooled ? { stores } : {}), runs: [], across: null, diagnostics });
      else printDiagnostics(io, diagnostics);
      return EXIT.invalid;
    };
    const found = await findRuns({ repo, stores, named: storeOptions.length > 0, all, ids: args.positionals, cwd: io.cwd });
    if ('diagnostics' in found) return fail(found.diagnostics);
    const { policy, selected, stored, leftOut } = found;
    const targets = policy.policy.kpi_targets;

    const inputs = await readReportRuns(selected);
    // With several stores each run says which one it came from.
    if (pooled) inputs.forEach((input, i) => (input.store = selected[i]!.store));
    // Plain text of several runs is one line each: their KPI rows and milestones are not made.
    const runDetails = json || htmlFile !== undefined || inputs.length === 1;
    const built = buildReport({ store, ...(pooled ? { stores } : {}), stored, runs: inputs, targets, runDetails });
    // Determinism across repeats of a task: a finished run's facts from the index, a running one's from its records.
    const { determinismOf, readRepeatRun, renderDeterminism } = await import('../../report/determinism.js');
    const repeats = selected.map((r) => (r.index?.repeat && r.index.seed !== undefined ? { run_id: r.index.run_id, goal: r.index.goal, seed: r.index.seed, facts: r.index.repeat, status: r.index.status, stop_reason: r.index.stop_reason } : readRepeatRun(r.dir))).filter((r) => r !== null);
    const report = { ...built, determinism: determinismOf(repeats, targets) };
    const warnings = [...leftOut.map((l) => unreadableWarning(l.store, l.names)), ...report.runs.flatMap((r) => r.notes.map((note) => problem('W_RUN_RECORD', `run ${r.run_id}: ${note}`, undefined, 'warning')))];
    if (htmlFile !== undefined) {
      const written = await writeHtml(path.resolve(io.cwd, htmlFile), report, stores, selected.map((r) => r.dir), leftOut);
      if (written) return fail([written]);
    }
    const baselineFile = str(args, 'baseline');
    if (baselineFile === '') throw new UsageError('--baseline takes a policy file name');
    if (baselineFile !== undefined) {
      // Golden paths: completed runs that needed no human intervention, their samples pooled.
      const golden = new Set(report.runs.filter((r) => r.status === 'completed' && r.kpis && r.kpis.human_interventions === 0).map((r) => r.run_id));
      const pooledGolden = buildReport({ store, runs: inputs.filter((r) => golden.has(r.run_id)), targets });
      const written = await writeBaselineOf(path.resolve(io.cwd, baselineFile), pooledGolden);
      if ('code' in written) return fail([written]);
      io.stderr(printable(`wrote kpi_targets milestone_median_s ${written.milestone_median_s}, milestone_p90_s ${written.milestone_p90_s} (${written.milestones} milestones of ${written.runs} completed runs) into ${baselineFile}\n`));
    }
    if (json) {
      printJson(io, { ...report, diagnostics: [...policy.diagnostics, ...warnings] });
      return EXIT.ok;
    }
    const { renderText } = await import('../../report/render-text.js');
    printDiagnostics(io, [...policy.diagnostics, ...warnings]);
    io.stdout(renderText(report) + renderDeterminism(report.determinism));
    if (htmlFile !== undefined) io.stderr(printable(`wrote ${htmlFile}\n`));
    return EXIT.ok;
  },
};

/**
 * The repo's merged policy and the selected runs of the stores (pooled, each run once), or
 * the diagnostics that say why there are none: a store given twice, a pooled store that does
 * not exist, a policy that does not load, a run in two stores, no runs, an unknown run id.
 * Impure (reads the policy and the stores).
 */
async function findRuns(o: { repo: string; stores: string[]; named: boolean; all: boolean; ids: string[]; cwd: string }) {
  const [{ resolvePolicy }, { loadStore }, { selectRuns }, { poolStores }, { checkStoreDir, STORE_DIR_HINT }] = await Promise.all([
    import('../../config/policy/resolve-policy.js'),
    import('../../store/index-runs.js'),
    import('../../report/select-runs.js'),
    import('../../report/pool-stores.js'),
    import('../../store/check-store-dir.js'),
  ]);
  const { repo, stores } = o;
  const store = stores[0]!;
  const pooled = stores.length > 1;
  const fail = (d: Diagnostic) => ({ diagnostics: [d] });
  const twice = stores.find((s, i) => stores.slice(0, i).some((other) => sameDir(other, s)));
  if (twice) return fail(problem('E_USAGE', `the store ${twice} is given twice`, 'name each store once: its runs would be counted twice'));
  // A file or FIFO where a store should be: said as `engine run` says it (it was exit 70, ENOTDIR).
  const notStore = stores.map(checkStoreDir).find((p) => p !== null);
  if (notStore) return fail(problem('E_FILE', notStore, STORE_DIR_HINT));
  const missing = pooled ? stores.filter((s) => !existsSync(s)) : [];
  if (missing.length) return fail(problem('E_NO_STORE', `no store ${missing.join(', ')} (the directory does not exist)`, 'each --store must be a run store (a shard that ran nothing still makes its store)'));

  const policy = await resolvePolicy({ repo, files: [], sets: [], cwd: o.cwd });
  if (!policy.policy) return { diagnostics: policy.diagnostics };
  const loaded = await Promise.all(stores.map(async (s) => ({ store: s, ...(await loadStore(s)) })));
  const pool = poolStores(loaded);
  const leftOut = loaded.filter((l) => l.unreadable.length).map((l) => ({ store: l.store, names: l.unreadable }));
  if (!pool.ok) {
    const where = (d: { run_id: string; stores: string[] }) => `${d.run_id} (${new Set(d.stores).size === 1 ? `twice in ${d.stores[0]}` : `in ${d.stores.join(' and ')}`})`;
    const shown = pool.duplicates.slice(0, 5).map(where).join(', ');
    const more = pool.duplicates.length > 5 ? ` and ${pool.duplicates.length - 5} more` : '';
    return fail(problem('E_DUPLICATE_RUN', `the same run is in more than one store: ${shown}${more}`, 'a store given twice, or a copy of the same runs: pool each run once (runs of different shards never share an id)'));
  }
  const stored = pool.runs;
  if (!stored.length) {
    const absent = existsSync(store) ? '' : ' (the directory does not exist)';
    // Outside any repository (a --store read from /tmp), the command names no directory a run could not use.
    const repoWord = findRepoTop(repo) ? shellWord(repo) : '<your repo>';
    const start = `${engineCommand('run')} <pipeline.yaml> --repo ${repoWord} --goal "…"${o.named ? ` --store ${shellWord(store)}` : ''}`;
    // Run directories whose state.json is there but cannot be read (damaged, too large, no
    // regular file) are not "no runs": said as such, not as an empty store.
    const damaged = loaded.flatMap((l) => l.unreadable);
    if (damaged.length) return fail(problem('E_NO_RUNS', `no run in ${stores.join(', ')} can be read: ${plural(damaged.length, 'run directory', 'run directories')} whose state.json cannot be read (${shownRunDirs(damaged)})`, 'look at each state.json: without the OS sandbox a worker can rewrite it'));
    if (pooled) return fail(problem('E_NO_RUNS', `no runs in ${stores.join(', ')}`, 'the stores hold no runs yet'));
    return fail(problem('E_NO_RUNS', `no runs in ${store}${absent}`, `start one with \`${start}\`${o.named ? '' : ', or name another store with --store'}`));
  }
  const selected = selectRuns(stored, o.all ? { all: true } : { all: false, ids: o.ids });
  if (!selected.ok) {
    const names = selected.unknown.map((id) => `"${id}"`).join(', ');
    // The stores as given: without them the command reported another store (the repo's own).
    const where = o.named ? stores.map((s) => ` --store ${shellWord(s)}`).join('') : ` --repo ${shellWord(repo)}`;
    return fail(problem('E_UNKNOWN_RUN', `no run ${names} in ${stores.join(', ')}`, `the newest is ${stored.at(-1)!.state.run_id}; \`${engineCommand(`report --all${where}`)}\` reports all ${stored.length}`));
  }
  return { policy: { ...policy, policy: policy.policy }, selected: selected.runs, stored: stored.length, leftOut };
}

/** The baseline of a report of golden runs written into a policy file, or why not. Impure. */
async function writeBaselineOf(file: string, golden: Report): Promise<Diagnostic | import('../../report/write-baseline.js').Baseline> {
  const { baselineOf, writeBaseline } = await import('../../report/write-baseline.js');
  const b = baselineOf(golden.across.kpis, golden.across.run_ids.length);
  if (!b) return problem('E_BASELINE', 'no completed run without human intervention among the selected runs has a finished milestone', `select golden runs, e.g. \`${engineCommand('report --all --baseline .engine/policy.yaml')}\` after \`${engineCommand('suite tasks/golden')}\``);
  try {
    writeBaseline(file, b, `set by engine report --baseline from ${b.milestones} milestones of ${b.runs} completed runs (${golden.across.run_ids.join(', ')})`);
  } catch (error) {
    return problem('E_BASELINE', `cannot write the baseline into ${file}: ${(error as Error).message}`);
  }
  return b;
}

/** How many of the selected runs (the newest) the page draws a timeline and links records for. */
const DETAILED_RUNS = 20;

/**
 * Write the HTML report atomically, with the timelines and records of the newest selected
 * runs linked relative to the page; a diagnostic when the file cannot be written. Impure.
 */
/** The page of `report` written to `file` (atomically), each store's left-out run directories said on it; or why it could not be. Impure. */
async function writeHtml(file: string, report: Report, stores: readonly string[], runDirs: readonly string[], leftOut: readonly { store: string; names: readonly string[] }[]): Promise<Diagnostic | null> {
  const [{ renderHtml }, { writeFileAtomic }, { readRunDetails }, { eventCheck }, { resolveWriteTarget }] = await Promise.all([
    import('../../report/render-html.js'),
    import('../../store/atomic.js'),
    import('../../report/read-details.js'),
    import('../../store/index-runs.js'),
    import('../../util/write-target.js'),
  ]);
  try {
    // Through a link, into the file it leads to, the link kept (as --baseline writes).
    const resolved = resolveWriteTarget(file);
    if ('why' in resolved) return problem('E_FILE', `cannot write ${file}: ${resolved.why}`);
    const isEvent = await eventCheck();
    // Records linked relative to the name the user gave (the page is opened by it).
    const pageDir = path.dirname(file);
    const relativeTo = (dir: string) => path.relative(pageDir, dir).split(path.sep).join('/') || '.';
    // Each run's records are linked by their path relative to the page.
    const details = Object.fromEntries(
      report.runs
        .map((r, i) => [r.run_id, runDirs[i]!] as const)
        .slice(-DETAILED_RUNS)
        .map(([id, dir]) => [id, { ...readRunDetails(dir, isEvent, id), dir: relativeTo(dir) }]),
    );
    const label = (store: string) => {
      const rel = relativeTo(store);
      return rel === '.' ? 'this directory' : rel.startsWith('../..') ? store.split(path.sep).slice(-3).join('/') : rel;
    };
    const storeLabel = stores.length > 1 ? `${stores.length} stores: ${stores.map(label).join(', ')}` : label(stores[0]!);
    // A page passed on without the terminal's warnings says what it leaves out too.
    const notes = leftOut.map((l) => leftOutText(label(l.store), l.names));
    writeFileAtomic(resolved.target, renderHtml(report, { details, storeHref: '.', storeLabel, notes, now: new Date().toISOString(), timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone }));
    return null;
  } catch (error) {
    // The file system's refusal in words (a raw ENOTDIR told a new user nothing); anything else is a bug, not bad input.
    const fs = describeFsError(error);
    if (!fs) throw error;
    return problem('E_FILE', `cannot write ${file}: ${whyAt(fs, file)}`);
  }
}

function problem(code: string, message: string, hint?: string, severity: Diagnostic['severity'] = 'error'): Diagnostic {
  return { code, severity, message, file: 'engine report', line: 0, col: 0, ...(hint ? { hint } : {}) };
}

/** Whether two paths are one directory (symlinks followed when they exist). Impure. */
function sameDir(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  return real(a) === real(b);
}

/**
 * The warning for a store's run directories whose state.json cannot be read: the report
 * leaves them out and says so (it said nothing, and a run whose state.json a worker damaged
 * was simply not there). One warning, the first five named. Pure.
 */
export function unreadableWarning(store: string, names: readonly string[]): Diagnostic {
  return problem('W_RUN_RECORD', leftOutText(store, names), 'look at each state.json: without the OS sandbox a worker can rewrite it', 'warning');
}

/** What a report leaves out of a store (`where`: its path, or the page's label for it): the run directories whose state.json cannot be read. Pure. */
function leftOutText(where: string, names: readonly string[]): string {
  return `${plural(names.length, 'run directory', 'run directories')} of ${where} left out, ${names.length === 1 ? 'its' : 'their'} state.json cannot be read: ${shownRunDirs(names)}`;
}

/**
 * The first five of a store's directory names, and how many more: each as itself when it is
 * plain, else quoted as JSON (a worker can name one with a newline and a line of its own
 * making after it). Pure.
 */
function shownRunDirs(names: readonly string[]): string {
  const shown = names.slice(0, 5).map((n) => (/^[\w.@+=:%-]+$/.test(n) ? n : JSON.stringify(n)));
  return `${shown.join(', ')}${names.length > 5 ? `, and ${names.length - 5} more` : ''}`;
}
