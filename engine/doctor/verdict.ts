/**
 * The doctor's verdict and its two renderings (text, JSON). Pure.
 */
import { EXIT } from '../vocabulary/exit-codes.js';
import type { Diagnostic } from '../vocabulary/diagnostics.js';
import type { CheckStatus, DoctorReport, Finding } from './types.js';

export type Verdict = CheckStatus;

/** block when any check blocks, else warn when any warns, else ok. Pure. */
export function verdictOf(checks: readonly Finding[]): Verdict {
  if (checks.some((c) => c.status === 'block')) return 'block';
  if (checks.some((c) => c.status === 'warn')) return 'warn';
  return 'ok';
}

/**
 * 2 when the pipeline or policy has errors (invalid input, as for every command), else 4
 * when anything blocks; warnings do not change the exit code. Pure.
 */
export function doctorExitCode(checks: readonly Finding[], diagnostics: readonly Diagnostic[] = []): number {
  if (diagnostics.some((d) => d.severity === 'error')) return EXIT.invalid;
  return verdictOf(checks) === 'block' ? EXIT.doctor : EXIT.ok;
}

/** The checks that block, in order. Pure. */
export function blockingFindings(checks: readonly Finding[]): Finding[] {
  return checks.filter((c) => c.status === 'block');
}

/**
 * One line per check (`block  worker.planner  message (hint: …)`), each detail indented
 * under its check, then the verdict line. Pure.
 */
export function renderDoctorText(report: DoctorReport): string {
  const width = Math.max(0, ...report.checks.map((c) => c.id.length));
  const lines: string[] = [];
  for (const c of report.checks) {
    const hint = c.status !== 'ok' && c.hint ? ` (hint: ${c.hint})` : '';
    lines.push(`${c.status.padEnd(5)}  ${c.id.padEnd(width)}  ${c.message}${hint}`);
    for (const d of c.details ?? []) lines.push(`${' '.repeat(7 + width + 2)}${d}`);
  }
  lines.push(renderVerdictLine(report.checks));
  return `${lines.join('\n')}\n`;
}

/** The last line of the text output: what blocks, and what it would do to a run. Pure. */
export function renderVerdictLine(checks: readonly Finding[]): string {
  const blocks = blockingFindings(checks);
  const warns = checks.filter((c) => c.status === 'warn');
  if (blocks.length) return `doctor: blocked by ${blocks.length} check${blocks.length === 1 ? '' : 's'}; ${sayEffects(blocks, (c) => c.effect ?? runEffect(c.id))}`;
  if (warns.length) {
    // A warning that still stops a run (a login the doctor cannot require offline) says so.
    const stopping = warns.filter((c) => c.effect);
    const said = stopping.length ? sayEffects(stopping, (c) => c.effect!) : 'nothing blocks a run';
    return `doctor: ok with ${warns.length} warning${warns.length === 1 ? '' : 's'} (${warns.map((c) => c.id).join(', ')}); ${said}`;
  }
  return `doctor: ok (${checks.length} checks)`;
}

/** Each effect on a run once, with the checks that have it: `effect (id, id); effect (id)`. Pure. */
function sayEffects(checks: readonly Finding[], effectOf: (c: Finding) => string): string {
  const effects = new Map<string, string[]>();
  for (const c of checks) {
    const effect = effectOf(c);
    effects.set(effect, [...(effects.get(effect) ?? []), c.id]);
  }
  return [...effects].map(([effect, ids]) => `${effect} (${ids.join(', ')})`).join('; ');
}

/**
 * What a blocking check does to `engine run`: the run preflight stops the run for git and the
 * workers; bad config and a directory that is no repo are refused as input; anything else
 * (verification programs, the store, a probe) makes the run fail when it gets there. Pure.
 */
function runEffect(id: string): string {
  if (id === 'git' || id === 'sandbox' || id === 'repo.paths' || id.startsWith('worker.')) return 'a run would stop doctor_blocked (exit 4)';
  if (id === 'repo' || id === 'pipeline' || id === 'policy' || id === 'templates') return 'a run would be refused (exit 2)';
  return 'a run would fail when it gets there';
}

/** The `--json` document. Pure. */
export function doctorJson(report: DoctorReport): Record<string, unknown> {
  return {
    verdict: verdictOf(report.checks),
    exit_code: doctorExitCode(report.checks, report.diagnostics),
    repo: report.repo,
    pipeline: report.pipeline,
    live: report.live,
    checks: report.checks.map((c) => ({ id: c.id, status: c.status, message: c.message, hint: c.hint, details: c.details ?? [] })),
    workers: report.workers,
    diagnostics: report.diagnostics,
    probe_dir: report.probe_dir,
  };
}
