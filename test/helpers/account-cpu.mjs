// Loaded into every test process by tap (`node-arg` in package.json's "tap" block): when
// `npm test` made a control group for its run (scripts/cpu-groups.mjs), the test process moves
// into a group of its own, so that the CPU of everything it starts is counted for its file,
// sandboxed processes too, and writes the figure as it exits. Only in the test process itself
// (its script is a test file); what it starts is counted with it.
import { accountThisProcess } from '../../scripts/cpu-groups.mjs';

const script = process.argv[1] ?? '';
const group = process.env.ENGINE_TEST_CPU_GROUP;
const out = process.env.ENGINE_TEST_CPU_OUT;
if (group && out && /\.test\.(ts|mjs)$/.test(script)) {
  // The children inherit the group; none of them makes one of its own.
  delete process.env.ENGINE_TEST_CPU_GROUP;
  accountThisProcess(group, out, script);
}
