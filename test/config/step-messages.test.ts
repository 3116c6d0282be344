import t from 'tap';
import path from 'node:path';
import { main } from '../../engine/cli/main.js';
import { memoryIo } from '../../engine/cli/io.js';
import { packageRoot } from '../../engine/paths.js';

/**
 * Unknown keys inside a step list the keys of that step's type (the schema is discriminated
 * by `type`), and habits from GitHub Actions workflows get a pointer to the engine's word.
 */
t.test('step-level allowed keys and GitHub Actions habits, exact text', async (t) => {
  const io = memoryIo({ cwd: path.join(packageRoot, 'test/fixtures/config/broken') });
  t.equal(await main(['validate', 'pipeline-actions-habits.pipeline.yaml'], io), 2);
  const f = 'pipeline-actions-habits.pipeline.yaml';
  t.same(io.err.join('').trim().split('\n'), [
    `${f}:6:5: error E_UNKNOWN_KEY unknown key \`timeout-minutes\` in \`workers.planner\` (did you mean \`timeout_s\`? Limits are in seconds)`,
    `${f}:8:10: error E_SCHEMA \`workers.other.use\` must be one of \`claude\`, \`codex\`, \`command\` or \`replay\`, or a module path (./…, ../… or /…), got string "codx" (did you mean \`codex\`?)`,
    `${f}:12:5: error E_UNKNOWN_KEY unknown key \`name\` in \`steps[0]\` (a worker step) (a step is named by its \`id\`; \`description\` says what it is for)`,
    `${f}:14:5: error E_UNKNOWN_KEY unknown key \`if\` in \`steps[0]\` (a worker step) (did you mean \`when\`? A step runs only when its guard holds: \`when: <guard>\`)`,
    `${f}:17:5: error E_UNKNOWN_KEY unknown key \`run\` in \`steps[0]\` (a worker step) (a worker step calls a worker; to run a shell command, add a step of its own: \`type: command\` with \`run:\`)`,
    `${f}:18:5: error E_UNKNOWN_KEY unknown key \`tier\` in \`steps[0]\` (a worker step) (allowed: \`id\`, \`type\`, \`description\`, \`when\`, \`worker\`, \`phase\`, \`template\`, \`read_only\`, \`next\`, \`on\`)`,
    `${f}:19:5: error E_UNKNOWN_KEY unknown key \`timeout-minutes\` in \`steps[0]\` (a worker step) (a step of this type has no time limit of its own: set \`timeout_s\` (seconds) on the worker under \`workers:\`, or per tier in the policy)`,
    `${f}:24:5: error E_UNKNOWN_KEY unknown key \`timeout-minutes\` in \`steps[1]\` (a command step) (did you mean \`timeout_s\`? Limits are in seconds)`,
    `${f}:29:5: error E_UNKNOWN_KEY unknown key \`worker\` in \`steps[2]\` (a verify step) (allowed: \`id\`, \`type\`, \`description\`, \`when\`, \`tier\`, \`next\`, \`on\`)`,
  ]);
});

t.test('a step of an unknown type names the types', async (t) => {
  const dir = t.testdir({
    'p.pipeline.yaml': 'apiVersion: engine/v1\nkind: Pipeline\nworkers: {a: {use: codex}}\nstart: s\nsteps:\n  - id: s\n    type: job\n    next: {stop: completed}\n',
  });
  const io = memoryIo({ cwd: dir });
  t.equal(await main(['validate', 'p.pipeline.yaml'], io), 2);
  t.equal(io.err.join(''), 'p.pipeline.yaml:7:11: error E_SCHEMA `steps[0].type` must be one of `worker`, `verify`, `command`, `checkpoint`, `advance` or `decide`, got string "job"\n');
});
