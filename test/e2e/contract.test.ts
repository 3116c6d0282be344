import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { readJsonl } from '../helpers/run-fixture.js';
import { packageRoot } from '../../engine/paths.js';
import { initRepo, scratchBase, spawnEngine } from './helpers/spawn-engine.js';

// The engine's contract with the real pinned CLIs (claude 2.1.197, codex 0.169.0) through
// `engine run --scenario`: what each call leaves in its directory, the markers, a repair in
// the same codex thread, and the KPIs computed from it.
const pipeline = path.join(packageRoot, 'pipelines/default.pipeline.yaml');
const scenario = path.join(import.meta.dirname, 'fixtures', 'contract.scenario.yaml');
const json = (file: string): any => JSON.parse(readFileSync(file, 'utf8'));

t.test('plan, implement with a repair, and review through the real claude and codex', async (t) => {
  const base = scratchBase(t, 'contract');
  const repo = initRepo(path.join(base, 'repo'));
  const r = await spawnEngine(
    ['run', pipeline, '--repo', repo, '--goal', 'a hello script', '--scenario', scenario, '--run-id', 'contract', '--set', 'explore.mode=off', '--set', 'auto_approve.enabled=false', '--set', 'verification.tiers.tier0.commands=["node hello.js"]', '--no-progress'],
    { cwd: base },
  );
  t.equal(r.code, 0, `exit 0\n${r.stdout}${r.stderr}`);
  const runDir = path.join(repo, '.engine', 'runs', 'contract');
  const calls = readdirSync(path.join(runDir, 'calls')).sort();
  t.same(calls, ['0001-plan-planner', '0002-implement-implementer', '0003-implement-implementer', '0004-review-reviewer']);
  const call = (i: number, f: string): string => path.join(runDir, 'calls', calls[i]!, f);

  for (const [i, name] of calls.entries()) {
    for (const f of ['prompt.md', 'stdout.log', 'events.jsonl', 'text.md', 'meta.json']) t.ok(existsSync(call(i, f)), `${name}/${f}`);
    t.equal(existsSync(call(i, 'markers.json')), i !== 1, `${name}/markers.json only when the markers were valid`);
    const meta = json(call(i, 'meta.json'));
    const codex = name.includes('implementer');
    t.match(meta, codex ? { plugin: 'codex', cli_version: '0.169.0', dialect: 'codex-exec-json', outcome: 'ok' } : { plugin: 'claude', cli_version: '2.1.197', dialect: 'claude-stream-json', outcome: 'ok' }, `${name}/meta.json`);
    t.match(readFileSync(call(i, 'prompt.md'), 'utf8'), /^engine-phase: \w+\nengine-contract: 1\nengine-step: \w+\n/, `${name}: the prompt starts with the header block`);
  }

  t.same(json(call(0, 'markers.json')).milestones.map((m: any) => m.files_expected), [['hello.js']], 'the plan markers');
  const implementEvents = readJsonl(call(1, 'events.jsonl'));
  t.ok(implementEvents.some((e) => e.kind === 'file_change' && e.changes.some((c: any) => c.path.endsWith('hello.js'))), 'codex wrote hello.js with its own tool');
  t.ok(implementEvents.some((e) => e.kind === 'command' && e.exit_code === 0 && /hello from codex/.test(e.output)), 'codex ran it');
  t.equal(json(call(1, 'meta.json')).markers_error !== null, true, 'the answer without markers is a parse failure');

  const first = json(call(1, 'meta.json'));
  const repair = json(call(2, 'meta.json'));
  t.equal(repair.phase, 'repair');
  t.ok(repair.args.includes('resume') && repair.args.includes(first.session_id), 'the repair resumes the same codex thread');
  t.equal(repair.session_id, first.session_id);
  t.match(json(call(2, 'markers.json')), { status: 'done', files_changed: ['hello.js'] });
  t.same(json(call(3, 'markers.json')), { verdict: 'approve', changes: [] });

  const state = json(path.join(runDir, 'state.json'));
  t.match(state, { status: 'completed', stop_reason: 'completed' });
  t.match(state.kpis, { milestones: 1, milestones_done: 1, worker_calls: 4, parse_failures: 1, parse_failures_per_100: 25, retried_milestones: 1, retry_rate: 1, governance_violations: 0 });
  t.equal(state.kpis.calls_per_milestone.median, 3, 'implement, its repair and the review');
  const shown = spawnSync('git', ['-C', repo, 'show', 'engine/contract:hello.js'], { encoding: 'utf8' });
  t.equal(shown.stdout, "console.log('hello from codex');\n", 'the checkpoint holds the file codex wrote');
});
