import t from 'tap';
import { workerChanges } from '../../engine/runtime/fingerprint.js';

// What resume says of the workers when the fingerprint differs, and what --reload-config takes.
const w = (bin: string | null, version: string | null, plugin = 'command') => ({ plugin, bin, version });

t.test('each worker change in words; none when the same', async (t) => {
  t.same(workerChanges({ a: w('x', '1') }, { a: w('x', '1') }, false), []);
  t.same(workerChanges({ a: w('codex', '0.168.0', 'codex') }, { a: w('codex', '0.169.0', 'codex') }, false), ['a: version 0.168.0 → 0.169.0']);
  t.same(workerChanges({ a: w('crash.sh', null) }, { a: w('agent.sh', null) }, false), ['a: program crash.sh → agent.sh']);
  t.same(workerChanges({ a: w('x', '1', 'codex') }, { a: w('x', '1', 'claude') }, false), ['a: plugin codex → claude']);
  t.same(workerChanges({ a: w('x', '1') }, { a: w('x', '1'), b: w('y', null) }, false), ['b: new in the pipeline']);
  t.same(workerChanges({ a: w('x', '1'), b: w('y', null) }, { a: w('x', '1') }, false), ['b: no longer in the pipeline']);
  t.same(workerChanges(null, { a: w('x', '1') }, false), ['a: new in the pipeline'], 'an env.json without workers');
});

t.test('with --reload-config, what the reloaded pipeline chose is taken; a CLI changed under a worker is not', async (t) => {
  // A new user's resume --reload-config after pointing a failing worker at a fixed script was
  // refused as a changed environment (the docs: a pipeline reloaded is not a fingerprint change).
  t.same(workerChanges({ a: w('crash.sh', null) }, { a: w('agent.sh', null) }, true), []);
  t.same(workerChanges({ a: w('x', '1') }, { a: w('x', '1'), b: w('y', null) }, true), []);
  t.same(workerChanges({ a: w('x', '1', 'codex') }, { a: w('x', '1', 'claude') }, true), []);
  t.same(workerChanges({ a: w('codex', '0.168.0', 'codex') }, { a: w('codex', '0.169.0', 'codex') }, true), ['a: version 0.168.0 → 0.169.0']);
});
