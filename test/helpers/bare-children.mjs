// Loaded into every test process by tap (`node-arg` in package.json's "tap" block): what a
// test starts runs without tap's process-info hook, unless coverage is recorded. tap puts the
// hook into the NODE_OPTIONS of every child (through process-on-spawn, whatever env the test
// passes, and through this process's own NODE_OPTIONS), so each node child (an engine, a
// worker, the claude and codex CLIs, started by a test or by engine code running in it)
// loaded it, started a loader thread and wrote its records at exit. Its only use is coverage.
if (process.env._TAPJS_PROCESSINFO_COVERAGE_ !== '1') {
  const onSpawn = globalThis[Symbol.for('process-on-spawn@*:singletonId')];
  if (onSpawn) onSpawn.listeners.length = 0;
  delete process.env.NODE_OPTIONS;
}
