import type { SuiteRun, SuiteTotals } from './judge-suite.js';
import type { SuiteTaskResult } from './run-suite.js';

/** One progress line for a finished run. Pure. */
export function renderRunLine(task: string, expect: string, run: SuiteRun, index: number, total: number): string {
  const mark = run.ok ? 'ok' : 'FAILED';
  const id = run.run_id ? ` — run ${run.run_id}` : '';
  const why = run.ok ? '' : `: ${whyNot(run)}`;
  return `[${index}/${total}] ${task} #${run.repeat}: ${run.ended} (expected ${expect}${run.layer ? ` by ${run.layer}` : ''}) ${mark}${id}${why}`;
}

/** Why a run is not as declared: its problems, or the engine's own detail. Pure. */
function whyNot(run: SuiteRun): string {
  return run.problems.length ? run.problems.join('; ') : run.detail;
}

/** The suite's report: each task's verdict, determinism with repeats, the totals, the closing line. Pure. */
export function renderSuite(results: readonly SuiteTaskResult[], repeat: number, base: string, store: string, totals: SuiteTotals): string {
  const lines: string[] = [];
  for (const r of results) {
    const endings = [...new Set(r.runs.map((run) => run.ended))].join(', ');
    const of = r.repeats.length === repeat ? `${repeat}` : `${r.repeats.length} of ${repeat}: ${r.repeats.map((n) => `#${n}`).join(' ')}`;
    lines.push(`${r.ok ? 'ok  ' : 'FAIL'} ${r.task}: expected ${r.expect}${r.runs[0]?.layer ? ` by ${r.runs[0].layer}` : ''}, ended ${endings || 'not run'} (${r.runs.filter((run) => run.ok).length}/${of} as declared)`);
    const declared = [r.planned_paths ? `${r.planned_paths.length} planned paths` : '', r.max_files !== null ? `at most ${r.max_files} files` : ''].filter(Boolean);
    if (declared.length) {
      const most = Math.max(0, ...r.runs.map((run) => run.changed_paths.length));
      lines.push(`     declared ${declared.join(', ')}; changed ${most} file(s) at most`);
    }
    if (r.repeats.length > 1) {
      const d = r.determinism;
      lines.push(d.differences.length === 0 ? `     repeats identical: planned paths, test outcomes, checkpoint trees (${d.compared} compared)` : `     repeats differ: ${d.differences.join('; ')}`);
    }
    for (const run of r.runs.filter((x) => !x.ok)) lines.push(`     #${run.repeat} ${run.repo}: ${whyNot(run)}`);
  }
  lines.push('', ...renderTotals(totals), `scratch repos: ${base}`, `runs: ${store}`, closingLine(totals), '');
  return lines.join('\n');
}

/** The suite-wide figures: calls and parse failures (hostile tasks' apart), governance, variance. Pure. */
export function renderTotals(t: SuiteTotals): string[] {
  const d = t.hostile;
  const apart = d.tasks.length ? `; hostile (${d.tasks.join(', ')}): ${d.worker_calls} calls, ${d.parse_failures} parse failures, counted apart` : '';
  return [
    `worker calls: ${t.worker_calls}; parse failures: ${t.parse_failures} (${t.parse_failures_per_100} per 100 calls, target < 1)${apart}`,
    `governance violations: ${t.governance_violations} caught, ${t.violations_landed} landed; tasks whose repeats differ: paths ${t.path_variance}, outcomes ${t.outcome_variance}, trees ${t.tree_variance}`,
    ...t.missed.map((m) => `target missed: ${m}`),
  ];
}

/** The last line: tasks, runs and worker calls that passed. Pure. */
export function closingLine(t: SuiteTotals): string {
  return `${t.tasks_passed} passed, ${t.tasks - t.tasks_passed} failed — runs ${t.runs_passed}/${t.runs} as declared, worker calls ${t.worker_calls_passed}/${t.worker_calls} in passing runs`;
}
