import type { SuiteRun } from './judge-suite.js';
import type { SuiteTaskResult } from './run-suite.js';

/** One progress line for a finished run. Pure. */
export function renderRunLine(task: string, expect: string, run: SuiteRun, index: number, total: number): string {
  const mark = run.ok ? 'ok' : 'FAILED';
  const id = run.run_id ? ` — run ${run.run_id}` : '';
  const why = run.ok ? '' : `: ${run.detail}`;
  return `[${index}/${total}] ${task} #${run.repeat}: ${run.ended} (expected ${expect}${run.layer ? ` by ${run.layer}` : ''}) ${mark}${id}${why}`;
}

/** The suite's report: each task's verdict, determinism with repeats, the count line. Pure. */
export function renderSuite(results: readonly SuiteTaskResult[], repeat: number, base: string, store: string): string {
  const lines: string[] = [];
  for (const r of results) {
    const endings = [...new Set(r.runs.map((run) => run.ended))].join(', ');
    const of = r.repeats.length === repeat ? `${repeat}` : `${r.repeats.length} of ${repeat}: ${r.repeats.map((n) => `#${n}`).join(' ')}`;
    lines.push(`${r.ok ? 'ok  ' : 'FAIL'} ${r.task}: expected ${r.expect}${r.runs[0]?.layer ? ` by ${r.runs[0].layer}` : ''}, ended ${endings || 'not run'} (${r.runs.filter((run) => run.ok).length}/${of} as declared)`);
    if (r.repeats.length > 1) {
      const d = r.determinism;
      lines.push(d.differences.length === 0 ? `     repeats identical: planned paths, test outcomes, checkpoint trees (${d.compared} compared)` : `     repeats differ: ${d.differences.join('; ')}`);
    }
    for (const run of r.runs.filter((x) => !x.ok)) lines.push(`     #${run.repeat} ${run.repo}: ${run.detail}`);
  }
  const passed = results.filter((r) => r.ok).length;
  lines.push('', `scratch repos: ${base}`, `runs: ${store}`, `${passed} passed, ${results.length - passed} failed`, '');
  return lines.join('\n');
}
