// test cost: about 11 s: engine processes for every message checked (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';
import { createProgress } from '../../engine/cli/progress.js';
import { createRunOutput } from '../../engine/cli/commands/run-output.js';
import { markdownForTerminal } from '../../engine/cli/render-terminal.js';
import { atStep } from '../../engine/runtime/summary.js';
import { engineVersion } from '../../engine/version.js';
import type { TimelineEvent } from '../../engine/generated/event.js';
import { bareNode, childEnv, engineBin, makeFixture, readJsonl } from '../helpers/run-fixture.js';

/** The exact text of the CLI's own messages: flags, versions, progress lines, memos, the TTY summary. */

t.test('unknown and malformed flags: the engine\'s words, with a did-you-mean', async (t) => {
  const cases: [string[], string][] = [
    [['validate', '--jsn', 'x.yaml'], 'engine validate: error E_USAGE unknown option --jsn (did you mean --json?)'],
    [['run', '--gaol', 'x'], 'engine run: error E_USAGE unknown option --gaol (did you mean --goal?)'],
    [['validate', '--frobnicate', 'x.yaml'], 'engine validate: error E_USAGE unknown option --frobnicate (options: --json)'],
    [['policy', '--repo'], 'engine policy: error E_USAGE --repo needs a value'],
    [['validate', '--json=yes', 'x.yaml'], 'engine validate: error E_USAGE --json takes no value'],
    [['init', 'extra'], 'engine init: error E_USAGE unexpected argument "extra": this command takes only options'],
    // A negative number after an option reads as an option of its own.
    [['run', '--goal', 'g', '--time', '-1'], 'engine run: error E_USAGE --time must be greater than 0, got -1'],
    [['run', '--goal', 'g', '--time=-1'], 'engine run: error E_USAGE --time must be greater than 0, got -1'],
    [['run', '--goal', 'g', '--max-ticks', '-5'], 'engine run: error E_USAGE --max-ticks must be greater than 0, got -5'],
    [['run', '--goal', 'g', '--seed', '-3'], 'engine run: error E_USAGE --seed needs a value (write --seed=-3 for one that begins with "-")'],
    [['run', '--goal', 'g', '--time', 'abc'], 'engine run: error E_USAGE --time takes a number of minutes, got "abc"'],
    // parseArgs kept the last: `--goal a --goal b` ran b, `clean --repo A --repo B` cleaned B, without a word.
    [['run', '--goal', 'a', '--goal=b'], 'engine run: error E_USAGE --goal was given 2 times ("a", "b"): it takes one value'],
    [['clean', '--repo', 'A', '--dry-run', '--repo', 'B'], 'engine clean: error E_USAGE --repo was given 2 times ("A", "B"): it takes one value'],
    [['clean', '--all', '--repo', '/nonexistent'], "engine clean: error E_USAGE --repo names one repo: give it without --all (which cleans every repo's workspaces)"],
    // 400 digits read as Infinity, which state.json held as null: the engine's resume refused its own run.
    [['run', '--goal', 'g', '--max-ticks', '9'.repeat(400)], `engine run: error E_USAGE --max-ticks takes a whole number up to 9007199254740991, got ${'9'.repeat(30)}… (400 digits)`],
    [['run', '--goal', 'g', '--seed', '9'.repeat(17)], `engine run: error E_USAGE --seed takes a whole number up to 9007199254740991, got ${'9'.repeat(17)}`],
    [['run', '--goal', 'g', '--time', '9'.repeat(400)], `engine run: error E_USAGE --time takes a finite number of minutes, got ${'9'.repeat(30)}… (400 characters)`],
  ];
  for (const [argv, first] of cases) {
    const io = memoryIo();
    t.equal(await main(argv, io), 2, argv.join(' '));
    const [line, usage] = io.err.join('').split('\n');
    t.equal(line, first);
    t.match(usage, /^usage: engine /);
  }
});

t.test('-v, -V, --version and version print the version', async (t) => {
  for (const flag of ['-v', '-V', '--version', 'version']) {
    const io = memoryIo();
    t.equal(await main([flag], io), 0);
    t.equal(io.out.join(''), `${engineVersion}\n`, flag);
  }
});

const base = { step: 'x', milestone: 1, attempt: 1, seq: 1, ts: '2026-01-01T00:00:00.000Z' };
t.test('progress lines count in the singular when there is one', async (t) => {
  const io = memoryIo();
  const p = createProgress(io, false);
  const events = [
    { ...base, milestone: null, type: 'plan.accepted', milestones: [{ id: 'only', goal: 'g', files_expected: [] }] },
    { ...base, type: 'verify.finished', tier: 'tier0', pass: true, skipped: false, commands: [{ command: 'npm test', exit_code: 0, duration_ms: 5 }], log: 'verify/0001-tier0.log', duration_ms: 5 },
    { ...base, type: 'checkpoint.created', sha: '0123456789abcdef', files: 1, added: 1, removed: 0 },
    { ...base, milestone: null, type: 'plan.accepted', milestones: [{ id: 'a', goal: 'g', files_expected: [] }, { id: 'b', goal: 'g', files_expected: [] }] },
    { ...base, type: 'verify.finished', tier: 'tier0', pass: false, skipped: false, commands: [], log: 'verify/0002-tier0.log', duration_ms: 5 },
    { ...base, type: 'checkpoint.created', sha: '0123456789abcdef', files: 2, added: 1, removed: 0 },
  ] as unknown as TimelineEvent[];
  for (const e of events) p.onEvent(e);
  p.stop();
  t.same(io.err.join('').split('\n'), [
    'plan: 1 milestone (only)',
    '[1/1] tier0: pass (1 command)',
    '[1/1] checkpoint 0123456789 (1 file, +1 -0)',
    'plan: 2 milestones (a, b)',
    '[1/2] tier0: FAIL (0 commands)',
    '[1/2] checkpoint 0123456789 (2 files, +1 -0)',
    '',
  ]);
});

// A hostile review: a worker's stderr in a stop's detail made lines of its own after the real
// stop line ("[1/1] tier0: pass", "run completed: completed"); the doctor's findings are listed
// one a line with their hints.
t.test('progress lines stay one line each, whatever a worker wrote; a blocked run lists its findings', async (t) => {
  const io = memoryIo();
  const p = createProgress(io, false);
  const forged = 'exit code 1: oops\n[1/1] tier0: pass (1 command)\r\nrun completed: completed\u2028x';
  p.onEvent({ ...base, milestone: null, step: null, type: 'run.finished', status: 'stopped', stop_reason: 'worker_failed', detail: forged, exit_code: 1 } as unknown as TimelineEvent);
  p.stop();
  t.same(io.err.join('').split('\n'), ['run stopped: worker_failed — exit code 1: oops ⏎ [1/1] tier0: pass (1 command) ⏎ run completed: completed ⏎ x', '']);

  const io2 = memoryIo();
  const q = createProgress(io2, false);
  q.onEvent({ ...base, milestone: null, step: null, type: 'doctor.blocked', findings: [{ id: 'worker.planner', status: 'block', message: 'the claude CLI is not installed', hint: 'run `npm i -D x`' }, { id: 'git', status: 'block', message: 'no git', hint: null }], doctor: 'engine doctor p.yaml --repo /r' } as unknown as TimelineEvent);
  q.onEvent({ ...base, milestone: null, step: null, type: 'run.finished', status: 'stopped', stop_reason: 'doctor_blocked', detail: 'worker.planner: …; git: …', exit_code: 4 } as unknown as TimelineEvent);
  q.stop();
  t.same(io2.err.join('').split('\n'), [
    'blocked before the first step; the preflight found:',
    '  worker.planner: the claude CLI is not installed — run `npm i -D x`',
    '  git: no git',
    'run stopped: doctor_blocked — fix what is above (2 findings), then start a new run; `engine doctor p.yaml --repo /r` checks again',
    '',
  ]);
});

t.test('after a resume the progress knows the plan accepted in an earlier session', async (t) => {
  const io = memoryIo();
  const p = createProgress(io, false);
  const events = [
    { ...base, milestone: 2, step: 'implement', type: 'run.resumed', from_seq: 40, checkpoint: null, restored_tree: null, repeated_step: 'implement', milestones_planned: 2, forced: false, hand_edits: [] },
    { ...base, milestone: 2, type: 'checkpoint.created', sha: '0123456789abcdef', files: 1, added: 1, removed: 0 },
  ] as unknown as TimelineEvent[];
  for (const e of events) p.onEvent(e);
  p.stop();
  t.same(io.err.join('').split('\n'), ['resumed at implement (repeating implement)', '[2/2] checkpoint 0123456789 (1 file, +1 -0)', ''], '[2/2], not [2/?]');
});

t.test('a worker call\'s line: markers said of a call that answered, the reason of one that did not', async (t) => {
  // An interrupted call's line read "implementer incomplete, no valid markers".
  const io = memoryIo();
  const p = createProgress(io, false);
  const call = { ...base, step: 'implement', type: 'worker.finished', worker: 'implementer', call: 'calls/0001', exit_code: 0, timed_out: false, duration_ms: 1500, usage: null, cost_usd: null };
  const events = [
    { ...call, outcome: 'ok', markers_ok: true, error: null },
    { ...call, outcome: 'ok', markers_ok: false, error: null },
    { ...call, outcome: 'incomplete', markers_ok: false, error: 'the call was aborted' },
    { ...call, outcome: 'timed_out', markers_ok: false, error: 'no output for 600 s\n(idle limit)' },
    { ...call, outcome: 'failed', markers_ok: false, error: 'x'.repeat(300) },
    { ...call, outcome: 'failed', markers_ok: false, error: null },
  ] as unknown as TimelineEvent[];
  for (const e of events) p.onEvent(e);
  p.stop();
  t.same(io.err.join('').split('\n'), [
    '[1/?] implement: implementer ok in 1.5s',
    '[1/?] implement: implementer ok, no valid markers in 1.5s',
    '[1/?] implement: implementer incomplete (the call was aborted) in 1.5s',
    '[1/?] implement: implementer timed_out (no output for 600 s (idle limit)) in 1.5s',
    `[1/?] implement: implementer failed (${'x'.repeat(99)}…) in 1.5s`,
    '[1/?] implement: implementer failed in 1.5s',
    '',
  ]);
});

t.test('a command step ends with a line saying how its command ended', async (t) => {
  // Its start had a line (`fmt…`) and its end none: a failing formatter went unseen until the summary.
  const io = memoryIo();
  const p = createProgress(io, false);
  const events = [
    { ...base, step: 'fmt', type: 'command.finished', command: 'npm run fmt', exit_code: 0, timed_out: false, duration_ms: 1234, log: 'commands/0001-fmt.log' },
    { ...base, step: 'fmt', type: 'command.finished', command: 'npm run fmt', exit_code: 2, timed_out: false, duration_ms: 40, log: 'commands/0002-fmt.log' },
    { ...base, step: 'fmt', type: 'command.finished', command: 'sleep 99', exit_code: null, timed_out: true, duration_ms: 60000, log: 'commands/0003-fmt.log' },
  ] as unknown as TimelineEvent[];
  for (const e of events) p.onEvent(e);
  p.stop();
  t.same(io.err.join('').split('\n'), ['[1/?] fmt: exit 0 in 1.2s', '[1/?] fmt: exit 2 in 0.0s (commands/0002-fmt.log)', '[1/?] fmt: timed out after 60.0s (commands/0003-fmt.log)', '']);
});

t.test('what a worker wrote reaches the terminal as text, never as control sequences', async (t) => {
  // A hostile probe's planner named a milestone `m1<ESC>]0;PWNED<BEL><ESC>[31mRED`: the
  // progress line and the summary printed at the end retitled and recoloured the terminal.
  const evil = 'm1\x1b]0;PWNED-TITLE\x07\x1b[31mRED';
  for (const live of [false, true]) {
    const io = memoryIo({ isTTY: live });
    const p = createProgress(io, live);
    p.onEvent({ ...base, milestone: null, type: 'plan.accepted', milestones: [{ id: evil, goal: 'g\x1b[2J', files_expected: [] }] } as unknown as TimelineEvent);
    p.onEvent({ ...base, type: 'parse.failed', phase: 'plan', error: `must NOT have additional properties (\x1b[2J)`, call: 'calls/0001' } as unknown as TimelineEvent);
    p.stop();
    const err = io.err.join('');
    t.notMatch(err, /\x1b\]|\x07|\x1b\[31m|\x1b\[2J/, `live=${live}: no sequence of the worker's reaches stderr`);
    t.match(err, /plan: 1 milestone \(m1\ufffd\]0;PWNED-TITLE\ufffd\ufffd\[31mRED\)/, `live=${live}: shown as text`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-summary-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'summary.md'), `# Run r1\n\n1. **${evil}** — g\x1b[2J goal\n`);
  for (const stdoutIsTTY of [false, true]) {
    const io = memoryIo({ stdoutIsTTY });
    createRunOutput(io, false, true).finished({ runId: 'r1', runDir: dir, status: 'completed', stopReason: 'completed', exitCode: 0, detail: null } as never);
    t.notMatch(io.out.join(''), /\x1b\]|\x07|\x1b\[2J|\x1b\[31m/, `summary on ${stdoutIsTTY ? 'a terminal' : 'a pipe'}: nothing of the worker's drives it`);
    t.match(io.out.join(''), /PWNED-TITLE/);
  }
  const io = memoryIo();
  createRunOutput(io, false, true).rejected([{ code: 'E_RESUME', severity: 'error', message: `bad \x1b]0;x\x07`, file: 'f', line: 0, col: 0 }], 2);
  t.notMatch(io.err.join(''), /\x1b|\x07/, 'a diagnostic too');
});

t.test('the memo says where the run stood without placeholders', async (t) => {
  t.equal(atStep({ step: null, milestone: null, attempt: null }), '- at step: none (the run stopped before its first step)');
  t.equal(atStep({ step: 'plan', milestone: null, attempt: 1 }), '- at step: plan (attempt 1)');
  t.equal(atStep({ step: 'verify', milestone: 2, attempt: 3 }), '- at step: verify (milestone 2, attempt 3)');
});

t.test('Markdown for a terminal: no markup, aligned tables', async (t) => {
  const md = ['# Run r1', '', '- status: **completed**', '- branch: `engine/r1`', '', '## KPIs', '', '| KPI | value | target |', '| --- | ---: | --- |', '| calls median | 2 | ≤ 2 |', '| tier0 p90 (s) | 0.52 | ≤ 60 |', '', '```', 'engine resume r1', '```', ''].join('\n');
  t.equal(
    markdownForTerminal(md, false),
    ['Run r1', '──────', '', '- status: completed', '- branch: engine/r1', '', 'KPIs', '────', '', 'KPI            value  target', 'calls median       2  ≤ 2', 'tier0 p90 (s)   0.52  ≤ 60', '', '    engine resume r1', ''].join('\n'),
  );
  t.equal(markdownForTerminal('- status: **completed**', true), '- status: \x1b[1mcompleted\x1b[0m');
});

t.test('a real run: the summary is Markdown when piped, rendered on a TTY', async (t) => {
  const f = makeFixture();
  const args = ['run', f.pipelineFile, '--repo', f.repo, '--goal', 'write two files', '--policy', f.policyFile, '--no-progress'];
  const piped = spawnSync('/usr/bin/env', [...bareNode, engineBin, ...args], { cwd: f.dir, env: childEnv(), encoding: 'utf8' });
  t.equal(piped.status, 0, piped.stderr);
  t.match(piped.stdout, /^- status: \*\*completed\*\*$/m);
  t.match(piped.stdout, /^\| KPI \| value \| target \|/m);
  if (!existsSync('/usr/bin/script')) return void t.comment('no script(1) here to give the run a terminal');
  const command = [process.execPath, engineBin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const tty = spawnSync('/usr/bin/script', ['-qec', command, '/dev/null'], { cwd: f.dir, env: childEnv(), encoding: 'utf8' });
  t.equal(tty.status, 0, tty.stdout);
  const out = tty.stdout.replace(/\r\n/g, '\n');
  t.match(out, /^- status: completed$/m);
  t.notMatch(out, /\*\*|^\|/m, 'no Markdown markup on the terminal');
  t.match(out, /^KPI +value +target\s*$/m, 'the KPI table is aligned columns');
});

t.test('a reader that goes away (run --json | head) ends the output quietly, with the run\'s own exit code', async (t) => {
  // Output goes through one writer for every command (cli/io.ts); `demo --json | head`, as a
  // user first met it, is test/e2e/demo.test.ts.
  const f = makeFixture();
  const command = [process.execPath, engineBin, 'run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'r', '--json'].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('bash', ['-c', `${command} | head -n 1 >/dev/null; echo "exit=\${PIPESTATUS[0]}" >&2`], { cwd: f.dir, env: childEnv(), encoding: 'utf8' });
  const runDir = path.join(f.repo, '.engine', 'runs', 'r');
  const finished = readJsonl(path.join(runDir, 'timeline.jsonl')).at(-1);
  t.equal(finished.type, 'run.finished', 'the run went on to its end');
  t.equal(finished.stop_reason, 'completed');
  t.equal(r.stderr, `exit=${finished.exit_code}\n`, 'no stack trace, and the exit code is the run\'s');
  t.ok(readFileSync(path.join(runDir, 'state.json'), 'utf8').includes('"status"'));
});

// A new user's probe: in a 50-column pane the live line `[2/3] implement: implementer (command,
// implement) 0:07` was wider than the terminal; each redraw left a wrapped copy behind.
t.test('the live progress line never wraps: cut to the terminal width, with an ellipsis', async (t) => {
  for (const columns of [50, 20, 200]) {
    const io = memoryIo({ isTTY: true, columns: () => columns });
    const p = createProgress(io, true);
    p.onEvent({ ...base, milestone: 2, type: 'worker.started', step: 'implement', worker: 'implementer-with-a-long-name', plugin: 'command', phase: 'implement', call: 'calls/0001' } as unknown as TimelineEvent);
    p.stop();
    // eslint-disable-next-line no-control-regex
    const drawn = io.err.join('').split('\r\x1b[2K').filter(Boolean).map((s) => s.replace(/\x1b\[[0-9;]*m/g, ''));
    t.ok(drawn.length > 0, 'the live line was drawn');
    for (const d of drawn) t.ok([...d].length < columns, `${columns} columns: "${d}" (${[...d].length})`);
    if (columns < 100) t.match(drawn[0], /…/, 'the cut is shown');
    else t.match(drawn[0], /implementer-with-a-long-name \(command, implement\)/, 'a wide terminal shows it whole');
  }
});

t.test('the live line counts a wide character as the two columns a terminal gives it', async (t) => {
  const { fitLine } = await import('../../engine/cli/progress.js');
  const cjk = '[1/2] implement: 実装担当者の作業を続けています';
  const cut = fitLine(cjk, 30, 5);
  const cols = [...cut].reduce((n, c) => n + (/[\u3000-\u9fff]/.test(c) ? 2 : 1), 0);
  t.ok(cols <= 30 - 1 - 5, `${cut}: ${cols} columns`);
  t.match(cut, /…$/);
  t.equal(fitLine('short', 30, 5), 'short');
});

// The contract: honour NO_COLOR and non-TTY, "no spinners, no escape codes". At a terminal
// with NO_COLOR set (io.color false) the progress line was still redrawn in place.
t.test('at a terminal with NO_COLOR, progress is plain lines: no line redrawn, no escape code', async (t) => {
  for (const [color, live] of [[false, false], [true, true]] as const) {
    const io = memoryIo({ isTTY: true, color });
    const out = createRunOutput(io, false, false);
    out.onEvent({ ...base, milestone: null, type: 'plan.accepted', milestones: [{ id: 'm1', goal: 'g', files_expected: [] }] } as unknown as TimelineEvent);
    out.onEvent({ ...base, type: 'step.started', step: 'implement', kind: 'worker', milestone: 1, attempt: 1 } as unknown as TimelineEvent);
    out.rejected([], 2);
    const err = io.err.join('');
    if (live) t.match(err, /\x1b\[2K/, 'colour allowed: the live line');
    else t.notMatch(err, /\x1b|\r/, 'NO_COLOR: no escape code, no carriage return');
    t.match(err, /plan: 1 milestone \(m1\)/);
  }
});

// A review: output that could not be written (stdout a full disk) after the command had its
// code was said to be "a worker plugin's error", exit 0, with no plugin at all.
t.test('stdout on a full device: E_MACHINE, exit 71, never success', async (t) => {
  const full = openSync('/dev/full', 'w');
  t.teardown(() => closeSync(full));
  const r = spawnSync('/usr/bin/env', [...bareNode, engineBin, 'validate', path.join(import.meta.dirname, '..', '..', 'pipelines', 'default.pipeline.yaml'), '--json'], { env: childEnv(), stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
  t.equal(r.status, 71, r.stderr);
  t.match(r.stderr, /^engine validate: error E_MACHINE no space left on the device: ENOSPC/m);
  t.notMatch(r.stderr, /plugin/);
});
