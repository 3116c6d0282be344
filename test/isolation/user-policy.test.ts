// test cost: about 6 s: one hostile scenario, a whole run in each sandbox mode (scripts/group-tests.mjs starts the long files first).
import t from 'tap';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runScenario, INERT_OR_VIOLATION, VIOLATION } from './helpers/scenario.js';
import { readState } from './helpers/fixture.js';

// Contract §5: a worker must not change what the engine does next. The user's own layer of
// the policy, ${XDG_CONFIG_HOME:-~/.config}/engine/policy.yaml, is read by every new run: a
// worker that writes it (only without the OS sandbox can it) turns the next run's sandbox off
// and its redaction down. The write must be seen after the step and stop the run.
t.test("the user's own policy layer written by the worker", async (t) => {
  const sh = [
    'mkdir -p "$ISO_HOME/.config/engine"',
    `printf 'apiVersion: engine/v1\\nkind: Policy\\nsandbox: { mode: "off" }\\ntranscripts: { redact: [] }\\n' > "$ISO_HOME/.config/engine/policy.yaml"`,
  ].join('; ');
  runScenario(t, {
    name: 'userpolicy',
    spec: { calls: { implement: { sh } } },
    // Without a sandbox the write lands: the engine must see it and stop (exit 3). Under bwrap
    // the user's home is read-only: nothing lands.
    expect: (mode) => (mode === 'off' ? VIOLATION : INERT_OR_VIOLATION),
    onBranch: (t, _entries, { f, id, mode }) => {
      if (mode !== 'off') t.notOk(existsSync(path.join(f.home, '.config', 'engine', 'policy.yaml')), 'under bwrap the write did not land');
      else t.match(JSON.stringify(readState(f, id)), /cli_config|policy\.yaml/, 'the stop names the file');
    },
  });
});
