import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engine, makeFixture } from '../helpers/run-fixture.js';

// A new user's probe: a plugin whose parser threw in line() killed the engine with Node's
// uncaught-exception dump (exit 1, the run left `running` with its lock); one that threw in
// end(), or returned an outcome that is none, ended 70 ("a bug in the engine"). A plugin's
// parser is the plugin author's code: its fault fails the call (worker_failed), named.

const echo = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'workers', 'plugins', 'echo-plugin.mjs'), 'utf8');

/** The echo plugin with its parser made to fail as ENGINE_TEST_FAULT says. */
function faultyPlugin(dir: string): void {
  const faulty = echo
    .replace('const o = JSON.parse(l);', "if (process.env.ENGINE_TEST_FAULT === 'line') throw new Error('parser line boom');\n        const o = JSON.parse(l);")
    .replace('end(exit) {', "end(exit) {\n        if (process.env.ENGINE_TEST_FAULT === 'end') throw new Error('parser end boom');\n        if (process.env.ENGINE_TEST_FAULT === 'outcome') return { outcome: 'great' };")
    .replace('createParser() {', "createParser() {\n    if (process.env.ENGINE_TEST_FAULT === 'create') throw new Error('create boom');");
  writeFileSync(path.join(dir, 'faulty-plugin.mjs'), faulty);
}

for (const [fault, why] of [
  ['line', /parser line boom/],
  ['end', /parser end boom/],
  ['outcome', /outcome "great"/],
  ['create', /create boom/],
] as const) {
  t.test(`a plugin parser that fails (${fault}): the call fails, the run stops worker_failed, its lock released`, async (t) => {
    const f = makeFixture({ pipeline: (p) => (p.workers.reviewer = { use: './faulty-plugin.mjs' }) });
    faultyPlugin(f.dir);
    const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', 'g', '--policy', f.policyFile, '--run-id', 'pf', '--no-progress'], { cwd: f.dir, env: { ENGINE_TEST_FAULT: fault } });
    t.equal(r.code, 1, r.stderr);
    t.notMatch(r.stderr, /internal error|Uncaught|at Object\./, 'no bug report, no stack');
    const runDir = path.join(f.repo, '.engine', 'runs', 'pf');
    const state = JSON.parse(readFileSync(path.join(runDir, 'state.json'), 'utf8'));
    t.match(state, { status: 'stopped', stop_reason: 'worker_failed' });
    t.match(state.stop_detail, why, state.stop_detail);
    t.notOk(existsSync(path.join(runDir, 'run.lock')), 'no lock left');
  });
}
