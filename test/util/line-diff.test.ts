import t from 'tap';
import { diffLines } from '../../engine/util/line-diff.js';

const labels = { from: 'a', to: 'b' };

t.test('equal texts have no diff', async (t) => {
  t.equal(diffLines('x\ny\n', 'x\ny\n', labels), '');
});

t.test('a changed line in the middle: one hunk with its context', async (t) => {
  const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n') + '\n';
  const after = before.replace('5\n', 'five\n');
  t.equal(diffLines(before, after, labels), ['--- a', '+++ b', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-5', '+five', ' 6', ' 7', ' 8', ''].join('\n'));
});

t.test('added to and removed from nothing', async (t) => {
  t.equal(diffLines('', 'x\n', labels), '--- a\n+++ b\n@@ -0,0 +1,1 @@\n+x\n');
  t.equal(diffLines('x\n', '', labels), '--- a\n+++ b\n@@ -1,1 +0,0 @@\n-x\n');
});

t.test('changes far apart are separate hunks; a missing final newline is said', async (t) => {
  const lines = Array.from({ length: 20 }, (_, i) => String(i));
  const before = lines.join('\n') + '\n';
  const after = ['zero', ...lines.slice(1, 19), '19'].join('\n');
  const d = diffLines(before, after, labels);
  t.equal(d.match(/^@@/gm)?.length, 2);
  t.match(d, /^-0$/m);
  t.match(d, /^\+zero$/m);
  t.match(d, /\\ No newline at end of file/);
});
