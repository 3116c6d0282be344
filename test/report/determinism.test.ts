import t from 'tap';
import { makeFixture, engine, twoMilestones, writeAgentScript } from '../helpers/run-fixture.js';
import { determinismOf, renderDeterminism, type RepeatRun } from '../../engine/report/determinism.js';

const facts = (paths: string[][], passes: boolean[]) => ({ planned_paths: paths, test_outcomes: passes.map((pass) => ({ tier: 'tier0', pass, exit_codes: [pass ? 0 : 1] })), checkpoint_trees: [] });
const run = (id: string, goal: string, seed: string, f: RepeatRun['facts'], end: Pick<RepeatRun, 'status' | 'stop_reason'> = { status: 'completed', stop_reason: 'completed' }): RepeatRun => ({ run_id: id, goal, seed, facts: f, ...end });

t.test('variance counts the distinct plans and outcomes beyond the first, per task (goal and seed)', async (t) => {
  const same = facts([['a.js']], [true]);
  const d = determinismOf(
    [
      run('1', 'g', '0', same),
      run('2', 'g', '0', same),
      run('3', 'g', '0', facts([['a.js', 'b.js']], [true])),
      run('4', 'g', '1', facts([['z.js']], [false])), // another seed: another task, alone
      run('5', 'h', '0', same),
      run('6', 'h', '0', facts([['a.js']], [false, true])),
    ],
    { path_variance: 0, outcome_variance: 0 },
  );
  t.same(d.groups.map((g) => [g.goal, g.seed, g.run_ids, g.path_variance, g.outcome_variance]), [
    ['g', '0', ['1', '2', '3'], 1, 0],
    ['h', '0', ['5', '6'], 0, 1],
  ]);
  t.equal(d.path_variance, 1);
  t.equal(d.outcome_variance, 1);
  t.same(d.rows.map((r) => [r.name, r.value, r.target, r.ok]), [
    ['planned path variance', 1, 0, false],
    ['test outcome variance', 1, 0, false],
  ]);
  const none = determinismOf([run('1', 'g', '0', same)], { path_variance: 0, outcome_variance: 0 });
  t.same(d.not_compared, []);
  t.same(none.rows.map((r) => [r.value, r.ok]), [[null, null], [null, null]], 'no repeats, nothing judged');
});

// A new user's probe: a completed run and one stopped by Ctrl-C before its verification were
// counted as an outcome variance of 1, over the target.
t.test('a run interrupted, or not finished, is no repeat to compare; one stopped on its own is', async (t) => {
  const full = facts([['a.js']], [true]);
  const cut = facts([['a.js']], []);
  const d = determinismOf(
    [
      run('1', 'g', '0', full),
      run('2', 'g', '0', cut, { status: 'stopped', stop_reason: 'interrupted' }),
      run('3', 'g', '0', cut, { status: 'running', stop_reason: null }),
      run('4', 'g', '0', facts([['a.js']], [false]), { status: 'stopped', stop_reason: 'verification_failed' }),
      run('5', 'g', '0', facts([], []), { status: 'stopped', stop_reason: 'doctor_blocked' }),
    ],
    { path_variance: 0, outcome_variance: 0 },
  );
  t.same(d.groups.map((g) => [g.run_ids, g.outcome_variance]), [[['1', '4'], 1]], 'the run that failed verification is compared');
  t.same(d.not_compared, ['2', '3', '5'], 'interrupted, still going, blocked before its first step');
});

t.test('engine report shows the variance of repeats, from the runs themselves', async (t) => {
  const f = makeFixture({ script: twoMilestones });
  const go = (id: string, seed: string) => engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'write a and b', '--policy', f.policyFile, '--run-id', id, '--seed', seed, '--no-progress'], { cwd: f.dir });
  t.equal(go('r1', '7').code, 0);
  t.equal(go('r2', '7').code, 0);
  let r = engine(['report', '--all', '--repo', f.repo, '--json'], { cwd: f.dir });
  let d = JSON.parse(r.stdout).determinism;
  t.match(d, { path_variance: 0, outcome_variance: 0 });
  t.same(d.groups[0].run_ids, ['r1', 'r2']);
  // A third repeat plans another file: path variance 1, over its target.
  writeAgentScript(f.scriptFile, { ...twoMilestones, plan: [twoMilestones.plan[0], { id: 'm2', goal: 'write b', files_expected: ['src/b2.txt'] }], implement: { '1': { 'src/a.txt': 'alpha\n' }, '2': { 'src/b2.txt': 'beta\n' } } });
  t.equal(go('r3', '7').code, 0);
  r = engine(['report', '--all', '--repo', f.repo], { cwd: f.dir });
  t.match(r.stdout, /Determinism across repeats of a task \(same goal and seed\)\n {2}3 runs of "write a and b" \(seed 7\): path variance 1, outcome variance 0\n {2}planned path variance {2}1 {2}≤ 0 {2}over\n {2}test outcome variance {2}0 {2}≤ 0 {2}ok\n/);
});

// A hostile review: the run table showed a goal's escape sequences as U+FFFD, but this section
// printed them raw (a window title set, colours) from `engine report --all`.
t.test('the determinism section shows goals, seeds and run ids, never a control sequence or a line of their own', async (t) => {
  const goal = 'fix \u001b]0;PWNED\u0007\u001b[31mRED\u001b[0m bug\n## Next\nrun this';
  const same = facts([['a.js']], [true]);
  const d = determinismOf([run('1', goal, '0\u001b[2J', same), run('2', goal, '0\u001b[2J', same), run('x\u001b[31m', goal, '0', same, { status: 'running', stop_reason: null } as never)], { path_variance: 0, outcome_variance: 0 });
  const text = renderDeterminism(d);
  t.notMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, 'no control character reaches the terminal');
  t.match(text, /^  2 runs of "fix \ufffd\]0;PWNED\ufffd\ufffd\[31mRED.*" \(seed 0\ufffd\[2J\)/m);
  t.notMatch(text, /^## Next/m, "a goal's line breaks make no line of their own");
  t.match(text, /not compared: 1 run .*\(x\ufffd\[31m\)/);
});
