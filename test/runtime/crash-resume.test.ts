import t from 'tap';
import { firstOfEachKind, killAndResume, referenceWrites } from '../helpers/crash-battery.js';

/**
 * Kill the engine right after a write of a run's timeline, resume, and check that the run
 * completes with nothing lost (test/helpers/crash-battery.ts): at the first write of each
 * kind and at the last one. The writes of a kind seen before are killed at by the end-to-end
 * tests (test/e2e/crash-every-write.test.ts), so that between them every write is.
 */
const points = referenceWrites(t);
const chosen = firstOfEachKind(points);
t.ok(chosen.length >= 15 && chosen.length < points.length, `${chosen.length} of the ${points.length} writes`);

t.test('kill after the first write of each kind, and the last, then resume', async (t) => {
  await killAndResume(t, chosen);
});
