import t from 'tap';
import { firstOfEachKind, killAndResume, referenceWrites } from '../helpers/crash-battery.js';

/**
 * Kill the engine right after each write of a run's timeline that `npm test`'s crash test
 * (test/runtime/crash-resume.test.ts: the first write of each kind, and the last) leaves
 * out, resume, and check that the run completes with nothing lost
 * (test/helpers/crash-battery.ts). The two together kill at every write of the run.
 */
const points = referenceWrites(t);
const sampled = new Set(firstOfEachKind(points));
const rest = points.filter((p) => !sampled.has(p));
t.equal(rest.length + sampled.size, points.length, `${rest.length} writes here, ${sampled.size} in npm test`);

t.test('kill after every other write, then resume', async (t) => {
  await killAndResume(t, rest);
});
