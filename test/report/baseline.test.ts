import t from 'tap';
import { cpSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { makeFixture, engine, twoMilestones } from '../helpers/run-fixture.js';
import { applyBaseline, baselineOf } from '../../engine/report/write-baseline.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

t.test('applyBaseline sets the two targets and keeps the rest of the file', async (t) => {
  const b = { milestone_median_s: 12.5, milestone_p90_s: 40, runs: 3, milestones: 6 };
  const text = '# our policy\napiVersion: engine/v1\nkind: Policy\nbudgets:\n  review_rounds: 3 # keep\nkpi_targets:\n  calls_p90: 5\n';
  const out = applyBaseline(text, b, 'baseline note');
  const doc = parse(out);
  t.same(doc.kpi_targets, { calls_p90: 5, milestone_median_s: 12.5, milestone_p90_s: 40 });
  t.equal(doc.budgets.review_rounds, 3);
  t.match(out, /# our policy/);
  t.match(out, /# keep/);
  t.match(out, /# baseline note\nkpi_targets:/);
  t.same(parse(applyBaseline('', b, 'n')), { apiVersion: 'engine/v1', kind: 'Policy', kpi_targets: { milestone_median_s: 12.5, milestone_p90_s: 40 } });
  t.throws(() => applyBaseline('- a\n- b\n', b, 'n'), /not a policy/);
  t.equal(baselineOf(null, 0), null);
});

t.test('applyBaseline changes only the targets and the note: the rest of the user\'s file stays byte for byte', async (t) => {
  const b = { milestone_median_s: 12.5, milestone_p90_s: 40, runs: 3, milestones: 6 };
  const note = 'set by engine report --baseline from 6 milestones of 3 completed runs (a, b, c)';
  const head = `# our policy\napiVersion: "engine/v1"\nkind: Policy\n\ngovernance:\n    forbidden_paths: [".env", 'secrets/**']\n    allowed:\n    - src/**\n    - "a very long string that goes on and on and on and on and on and on and on and on and on and on and on"\nbudgets: {review_rounds: 3}\n`;
  // Both targets there: their values change, nothing else (the comment after one stays).
  const both = `${head}kpi_targets:\n    calls_p90: 5   # keep\n    milestone_median_s: 1.0  # old\n    milestone_p90_s: 2\nafter: 1\n`;
  t.equal(applyBaseline(both, b, note), `${head}# ${note}\nkpi_targets:\n    calls_p90: 5   # keep\n    milestone_median_s: 12.5  # old\n    milestone_p90_s: 40\nafter: 1\n`);
  // One missing: added at the map's own indent, after its last entry.
  const one = `${head}kpi_targets:\n    calls_p90: 5   # keep\nafter: 1\n`;
  t.equal(applyBaseline(one, b, note), `${head}# ${note}\nkpi_targets:\n    calls_p90: 5   # keep\n    milestone_median_s: 12.5\n    milestone_p90_s: 40\nafter: 1\n`);
  // No kpi_targets: appended, even to a file without a final newline.
  t.equal(applyBaseline(head.trimEnd(), b, note), `${head}# ${note}\nkpi_targets:\n  milestone_median_s: 12.5\n  milestone_p90_s: 40\n`);
  // An empty kpi_targets:
  t.equal(applyBaseline(`${head}kpi_targets:\nafter: 1\n`, b, note), `${head}# ${note}\nkpi_targets:\n  milestone_median_s: 12.5\n  milestone_p90_s: 40\nafter: 1\n`);
  // A second baseline replaces the first one's note instead of stacking another.
  const twice = applyBaseline(applyBaseline(one, b, note), { ...b, milestone_median_s: 7 }, 'set by engine report --baseline from 2 milestones of 1 completed runs (d)');
  t.equal(twice.match(/# set by engine report --baseline/g)?.length, 1);
  t.match(twice, /milestone_median_s: 7\n/);
  // CRLF line endings stay CRLF.
  const crlf = applyBaseline('apiVersion: engine/v1\r\nkind: Policy\r\n', b, note);
  t.equal(crlf, `apiVersion: engine/v1\r\nkind: Policy\r\n# ${note}\r\nkpi_targets:\r\n  milestone_median_s: 12.5\r\n  milestone_p90_s: 40\r\n`);
  // A flow-style kpi_targets cannot be edited in place: the document is written whole, and still right.
  const flow = parse(applyBaseline(`${head}kpi_targets: {calls_p90: 5}\n`, b, note));
  t.same(flow.kpi_targets, { calls_p90: 5, milestone_median_s: 12.5, milestone_p90_s: 40 });
  t.equal(flow.budgets.review_rounds, 3);
});

t.test('engine report --baseline writes the median and p90 of completed runs into the repo policy, which the next report uses', async (t) => {
  const f = makeFixture({ script: twoMilestones });
  const run = (id: string) => engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', id, '--no-progress'], { cwd: f.dir });
  t.equal(run('b1').code, 0);
  t.equal(run('b2').code, 0);
  const before = JSON.parse(engine(['report', '--all', '--repo', f.repo, '--json'], { cwd: f.dir }).stdout);
  const m = before.across.kpis.milestone_s;
  t.equal(m.count, 4);
  mkdirSync(path.join(f.repo, '.engine'), { recursive: true });
  const file = path.join(f.repo, '.engine', 'policy.yaml');
  writeFileSync(file, 'apiVersion: engine/v1\nkind: Policy\nbudgets:\n  review_rounds: 3\n');
  const r = engine(['report', '--all', '--repo', f.repo, '--baseline', file], { cwd: f.dir });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /wrote kpi_targets milestone_median_s .* \(4 milestones of 2 completed runs\)/);
  const written = parse(readFileSync(file, 'utf8'));
  t.same(written.kpi_targets, { milestone_median_s: m.median, milestone_p90_s: m.p90 });
  t.equal(written.budgets.review_rounds, 3, 'the rest of the policy kept');
  const after = JSON.parse(engine(['report', '--all', '--repo', f.repo, '--json'], { cwd: f.dir }).stdout);
  t.equal(after.across.rows.find((r: { name: string }) => r.name === 'milestone time p90 (s)').target, m.p90, 'the report judges against the baseline now');
});

t.test('--baseline refuses the engine\'s own policies and a selection without a completed run', async (t) => {
  const f = makeFixture({ script: twoMilestones, policy: { verification: { tiers: { tier0: { commands: ['exit 1'] } }, max_attempts: 1 } } });
  t.equal(engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 's1', '--no-progress'], { cwd: f.dir }).code, 1);
  const target = path.join(f.dir, 'p.yaml');
  const r = engine(['report', '--all', '--repo', f.repo, '--baseline', target], { cwd: f.dir });
  t.equal(r.code, 2);
  t.match(r.stderr + r.stdout, /E_BASELINE/);
  const engineDefaults = path.join(root, 'policies', 'default.policy.yaml');
  const text = readFileSync(engineDefaults, 'utf8');
  const g = makeFixture({ script: twoMilestones });
  t.equal(engine(['run', g.pipelineFile, '--repo', g.repo, '--goal', 'g', '--policy', g.policyFile, '--run-id', 'c1', '--no-progress'], { cwd: g.dir }).code, 0);
  const own = engine(['report', '--all', '--repo', g.repo, '--baseline', engineDefaults], { cwd: g.dir });
  t.equal(own.code, 2);
  t.match(own.stderr + own.stdout, /E_BASELINE.*engine's own policies/);
  t.equal(readFileSync(engineDefaults, 'utf8'), text, 'the defaults are untouched');
});

t.test('--baseline into a policy that is a link writes the file it leads to, and keeps the link (the link was replaced by a copy, the shared file left unchanged)', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'engine-baseline-link-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = path.join(dir, 'store');
  cpSync(path.join(root, 'test/fixtures/report-store/runs'), store, { recursive: true });
  mkdirSync(path.join(dir, 'shared'));
  mkdirSync(path.join(dir, 'repo'));
  const shared = path.join(dir, 'shared', 'policy.yaml');
  writeFileSync(shared, 'apiVersion: engine/v1\nkind: Policy\n');
  const link = path.join(dir, 'repo', 'policy.yaml');
  symlinkSync('../shared/policy.yaml', link);
  const r = engine(['report', '--all', '--store', store, '--baseline', link], { cwd: dir });
  t.equal(r.code, 0, r.stderr);
  t.ok(lstatSync(link).isSymbolicLink(), 'the link is kept');
  t.ok(parse(readFileSync(shared, 'utf8')).kpi_targets, 'the file it leads to holds the baseline');
  // A link to nothing: refused, the link left as it was, nothing made where it leads.
  const dangling = path.join(dir, 'repo', 'dangling.yaml');
  symlinkSync('../nowhere/policy.yaml', dangling);
  const refused = engine(['report', '--all', '--store', store, '--baseline', dangling], { cwd: dir });
  t.equal(refused.code, 2, refused.stderr);
  t.match(refused.stderr, /error E_BASELINE cannot write the baseline into \S+dangling\.yaml: it is a link to nothing \(\.\.\/nowhere\/policy\.yaml\)/);
  t.ok(lstatSync(dangling).isSymbolicLink(), 'the dangling link is kept');
  t.notOk(existsSync(path.join(dir, 'nowhere')), 'nothing made where it leads');
});
