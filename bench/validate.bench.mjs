// Wall time of a cold `engine validate` on the shipped pipeline and policy: what a user or
// an editor task pays on every call. Needs `npm run build` first (bin/engine.js runs dist/).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from './fixtures/child-env.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = ['bin/engine.js', 'validate', 'pipelines/default.pipeline.yaml', 'policies/default.policy.yaml'];
const RUNS = 31;

export default {
  name: 'validate default pipeline+policy (cold process)',
  target_ms: 150,
  async run() {
    if (!existsSync(path.join(root, 'dist/engine/cli/main.js'))) throw new Error('run `npm run build` first');
    const time = (argv) => {
      const start = process.hrtime.bigint();
      const r = spawnSync(process.execPath, argv, { cwd: root, env: childEnv(), encoding: 'utf8' });
      return { ms: Number(process.hrtime.bigint() - start) / 1e6, r };
    };
    const once = () => {
      const { ms, r } = time(args);
      if (r.status !== 0) throw new Error(`engine validate exited ${r.status}: ${r.stderr}`);
      return ms;
    };
    once(); // warm the OS file cache; not counted
    // A bare `node -e 0` measured alongside, interleaved run by run so that both see the same
    // machine: on a loaded machine the absolute figure says more about the machine than about
    // the engine, the difference says what the engine adds.
    const samples_ms = [];
    const baseline = [];
    for (let i = 0; i < RUNS; i++) {
      samples_ms.push(once());
      baseline.push(time(['-e', '0']).ms);
    }
    const median_ms = median(samples_ms);
    const node_baseline_ms = median(baseline);
    return { median_ms, runs: RUNS, samples_ms, node_baseline_ms, engine_overhead_ms: median_ms - node_baseline_ms };
  },
};

function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
