// test cost: about 8 s: one two-milestone run per sandbox mode.
import t from 'tap';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { killByEnv } from '../helpers/kill-by-env.js';
import { makeIsoFixture, modes, runRun } from './helpers/fixture.js';
import { assertOutcome, COMPLETED, plantedLog } from './helpers/scenario.js';
import { assertRepoUnchanged, snapshotRepo } from './helpers/snapshot.js';

// A codex worker with a private home (isolate_home, or a model_endpoint as in the demo) can
// write its home: it is bound writable into the sandbox. Before each later call the engine
// writes codex's config.toml there. A worker that leaves a link at that name to a file of the
// user's (the repo's path is in its workspace's alternates) must not get the engine to write
// the user's file: found by a hostile probe, where the engine overwrote the user's
// uncommitted notes (or .git/config) under the sandbox and the run still completed.

const FAKE_CODEX = `#!/usr/bin/env node
// A hostile stand-in for the codex CLI: answers like codex exec --json, and before it ends
// leaves links in its home where the engine writes before the next call.
const fs = require('node:fs');
const path = require('node:path');
if (process.argv[2] === '--version') { console.log('codex-cli 0.169.0'); process.exit(0); }
const env = process.env;
const prompt = process.argv[process.argv.length - 1];
const milestone = (/^engine-milestone: (\\d+)$/m.exec(prompt) || [])[1] || '1';
const home = env.CODEX_HOME;
const planted = [];
// What the engine left at config.toml for this call: its own regular file, or something else.
const config = path.join(home, 'config.toml');
const found = fs.lstatSync(config, { throwIfNoEntry: false });
const ownConfig = Boolean(found && found.isFile() && fs.readFileSync(config, 'utf8').startsWith('# Written by the engine'));
fs.appendFileSync(path.join(env.ISO_SCRATCH, 'seen.log'), 'call ' + milestone + ': config.toml ' + (ownConfig ? 'the engine file' : 'not the engine file') + '\\n');
for (const name of ['config.toml', 'replay-served.json']) {
  fs.rmSync(path.join(home, name), { recursive: true, force: true });
  fs.symlinkSync(path.join(env.ISO_REPO, 'notes.txt'), path.join(home, name));
  planted.push(name);
}
fs.rmSync(path.join(home, 'tmp'), { recursive: true, force: true });
fs.symlinkSync(env.ISO_REPO, path.join(home, 'tmp'));
fs.appendFileSync(path.join(env.ISO_SCRATCH, 'attacks.log'), 'codex call ' + milestone + ': links left in its home (' + planted.join(', ') + ', tmp)\\n');
for (const file of fs.readFileSync(path.join(env.ISO_AGENT_DIR, 'files-' + milestone), 'utf8').split('\\n').filter(Boolean)) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 'milestone ' + milestone + '\\n');
}
const markers = fs.readFileSync(path.join(env.ISO_AGENT_DIR, 'markers-implement-' + milestone + '.json'), 'utf8').trim();
const text = 'Done.\\nBEGIN_MARKERS\\n' + markers + '\\nEND_MARKERS\\n';
for (const e of [
  { type: 'thread.started', thread_id: 't-' + milestone },
  { type: 'turn.started' },
  { type: 'item.completed', item: { id: 'i1', type: 'agent_message', text } },
  { type: 'turn.completed', usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 } },
]) console.log(JSON.stringify(e));
`;

for (const { mode, skip } of modes()) {
  t.test(`sandbox.mode=${mode}: links a codex worker leaves in its home are replaced, never written through`, { skip }, async (t) => {
    const id = `homelinks-${mode}`;
    const f = makeIsoFixture({
      spec: {
        plan: [
          { id: 'm1', goal: 'write a', files_expected: ['src/a.txt'] },
          { id: 'm2', goal: 'write b', files_expected: ['src/b.txt'] },
        ],
      },
      runId: id,
    });
    t.teardown(() => {
      killByEnv(`ISO_SCRATCH=${f.scratch}`);
      if (!process.env.ISO_KEEP) rmSync(f.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    });
    const fake = path.join(f.dir, 'fake-codex.js');
    writeFileSync(fake, FAKE_CODEX);
    chmodSync(fake, 0o755);
    const pipeline = parse(readFileSync(f.pipelineFile, 'utf8'));
    pipeline.workers.implementer = { use: 'codex', bin: fake, isolate_home: true, env: pipeline.workers.implementer.env, idle_timeout_s: 30, timeout_s: 60 };
    writeFileSync(f.pipelineFile, stringify(pipeline));
    // The private home holds no login: a key in the environment stands for one.
    f.env = { ...f.env, OPENAI_API_KEY: 'sk-test-not-a-real-key' };
    const before = snapshotRepo(f.repo);
    const notes = readFileSync(path.join(f.repo, 'notes.txt'), 'utf8');

    const run = runRun(f, id, mode);
    assertOutcome(t, f, id, run, COMPLETED);
    const attacks = path.join(f.scratch, 'attacks.log');
    t.equal(existsSync(attacks) ? readFileSync(attacks, 'utf8').trim().split('\n').length : 0, 2, 'both implement calls left their links');
    t.equal(readFileSync(path.join(f.repo, 'notes.txt'), 'utf8'), notes, "the user's uncommitted notes are as they were");
    assertRepoUnchanged(t, before, snapshotRepo(f.repo), {});
    t.equal(plantedLog(f), '', 'no command the worker planted ran');
    const seen = path.join(f.scratch, 'seen.log');
    t.equal(existsSync(seen) ? readFileSync(seen, 'utf8') : '', 'call 1: config.toml the engine file\ncall 2: config.toml the engine file\n', 'each call found the config the engine wrote, the links of the call before replaced');
  });
}
