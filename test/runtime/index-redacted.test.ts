import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { makeFixture, engine } from '../helpers/run-fixture.js';

// A contract review found a secret given in the goal redacted in state.json and the timeline,
// but written whole to the store's index.jsonl, and printed by every `engine report` after.
t.test("a secret in the goal is redacted in the store's index and in report, as in the run's own records", async (t) => {
  const f = makeFixture();
  const secret = 'zq7Hf3kLp9Xw2Rt8';
  const env = { MY_API_TOKEN: secret };
  const r = engine(['run', f.pipelineFile, '--repo', f.repo, '--goal', `deploy with ${secret}`, '--policy', f.policyFile, '--run-id', 'sec', '--no-progress'], { cwd: f.dir, env });
  t.equal(r.code, 0, r.stderr);
  const store = path.join(f.repo, '.engine', 'runs');
  const index = readFileSync(path.join(store, 'index.jsonl'), 'utf8');
  t.match(index, /\[REDACTED:MY_API_TOKEN\]/, 'the index holds the redaction');
  // Every file the run store holds, the index among them: none holds the value.
  const holding: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && readFileSync(p).includes(secret)) holding.push(path.relative(store, p));
    }
  };
  walk(store);
  t.same(holding, [], 'no file of the store holds the secret');
  for (const args of [['report', 'sec'], ['report', '--all'], ['report', '--all', '--json']]) {
    const rep = engine([...args, '--repo', f.repo], { cwd: f.dir, env });
    t.equal(rep.code, 0, `${args.join(' ')}: ${rep.stderr}`);
    t.notMatch(rep.stdout + rep.stderr, secret, `${args.join(' ')} does not print it`);
  }
});
