import t from 'tap';
import { blockingFindings, doctorExitCode, doctorJson, renderDoctorText, renderVerdictLine, verdictOf } from '../../engine/doctor/verdict.js';
import { finding, type DoctorReport, type Finding } from '../../engine/doctor/types.js';

const ok = finding('node', 'ok', 'node 22.1.0');
const warn = finding('verify.tier0', 'warn', 'tier0 has no commands', 'set commands');
const block = finding('worker.planner', 'block', 'bin /x/claude not found', 'fix workers.planner.bin', ['detail one']);

function report(checks: Finding[]): DoctorReport {
  return { repo: '/r', pipeline: '/r/p.yaml', live: false, checks, workers: {}, diagnostics: [], probe_dir: null };
}

t.test('the verdict and exit code follow the worst status', async (t) => {
  t.equal(verdictOf([ok]), 'ok');
  t.equal(verdictOf([ok, warn]), 'warn');
  t.equal(verdictOf([warn, block, ok]), 'block');
  t.equal(verdictOf([]), 'ok');
  t.equal(doctorExitCode([ok, warn]), 0, 'warnings do not block');
  t.equal(doctorExitCode([ok, block]), 4);
  t.equal(doctorExitCode([ok, block], [{ code: 'E_SCHEMA', severity: 'error', message: 'm', file: 'f', line: 1, col: 1 }]), 2, 'a config file with errors is invalid input');
  t.equal(doctorExitCode([ok], [{ code: 'W', severity: 'warning', message: 'm', file: 'f', line: 1, col: 1 }]), 0, 'warnings in a file do not block');
  t.same(blockingFindings([ok, block, warn]), [block]);
});

t.test('text: one line per check, details indented, hints only where something is wrong, a verdict', async (t) => {
  const text = renderDoctorText(report([ok, warn, block]));
  const lines = text.trimEnd().split('\n');
  t.equal(lines.length, 5);
  t.match(lines[0], /^ok {5}node {12}node 22\.1\.0$/);
  t.match(lines[1], /^warn {3}verify\.tier0 +tier0 has no commands \(hint: set commands\)$/);
  t.match(lines[2], /^block {2}worker\.planner +bin \/x\/claude not found \(hint: fix workers\.planner\.bin\)$/);
  t.match(lines[3], /^ {10,}detail one$/);
  t.equal(lines[4], "doctor: blocked by 1 check; a run would stop doctor_blocked (exit 4) (worker.planner)");
  t.notMatch(renderDoctorText(report([finding('git', 'ok', 'git 2.39', 'never shown')])), /never shown/);
});

t.test('the verdict line', async (t) => {
  t.equal(renderVerdictLine([ok, ok]), 'doctor: ok (2 checks)');
  t.match(renderVerdictLine([ok, warn]), /^doctor: ok with 1 warning \(verify\.tier0\); nothing blocks a run$/);
  // A warning that still stops a run says so, with its effect, beside the ones that do not.
  const login = { id: 'login.claude', status: 'warn' as const, message: 'not logged in', hint: null, effect: 'a run would stop doctor_blocked (exit 4) before its first call' };
  t.equal(renderVerdictLine([ok, warn, login]), 'doctor: ok with 2 warnings (verify.tier0, login.claude); a run would stop doctor_blocked (exit 4) before its first call (login.claude)');
  t.equal(renderVerdictLine([block, { ...block, id: 'git' }]), 'doctor: blocked by 2 checks; a run would stop doctor_blocked (exit 4) (worker.planner, git)');
  t.equal(
    renderVerdictLine([{ ...block, id: 'repo' }, { ...block, id: 'verify.tier0' }, { ...block, id: 'worker.x' }]),
    'doctor: blocked by 3 checks; a run would be refused (exit 2) (repo); a run would fail when it gets there (verify.tier0); a run would stop doctor_blocked (exit 4) (worker.x)',
  );
  // A new user's worker wrote a line before its block: doctor --live said a run would fail,
  // yet the same worker completed runs (a run reads the block within the prose).
  const { judgeProbe } = await import('../../engine/doctor/probe.js');
  const probe = (text: string) => judgeProbe(['w'], { outcome: 'ok', text, callDir: '/d', meta: { error: null, dialect: 'command-text', unknown_event_types: {} } });
  t.equal(renderVerdictLine([probe('Sure!\nBEGIN_MARKERS\n{"ok": true}\nEND_MARKERS')]), 'doctor: blocked by 1 check; a run would still read its block, but its answers drift from the contract (probe.w)');
  t.equal(renderVerdictLine([probe('no block at all')]), 'doctor: blocked by 1 check; a run would repair its answers, or stop parse_failed (exit 1) (probe.w)');
  t.equal(renderVerdictLine([judgeProbe(['w'], { outcome: 'failed', text: '', callDir: '/d', meta: { error: 'exit 3', dialect: 'command-text', unknown_event_types: {} } })]), 'doctor: blocked by 1 check; a run would fail when it gets there (probe.w)');
});

t.test('the JSON document', async (t) => {
  const doc = doctorJson(report([ok, block]));
  t.match(doc, { verdict: 'block', exit_code: 4, repo: '/r', pipeline: '/r/p.yaml', live: false, probe_dir: null, diagnostics: [] });
  t.same(doc.checks, [
    { id: 'node', status: 'ok', message: 'node 22.1.0', hint: null, details: [] },
    { id: 'worker.planner', status: 'block', message: 'bin /x/claude not found', hint: 'fix workers.planner.bin', details: ['detail one'] },
  ]);
});
