import t from 'tap';
import { branchMovedEnd } from '../../engine/runtime/loop.js';
import type { Runtime } from '../../engine/runtime/types.js';
import { git, makeRepo, makeWorkspace } from '../git/fixtures/repo.js';

// A process a worker left running (no OS sandbox) can move the run's branch after the last
// step's check: where the run ends, the branch is compared once more, or the summary tells
// the user to merge a branch the run did not write.

t.test("the run's branch moved after the last step: the end becomes a user_repo stop; at its place, or after a signal, the end stands", async (t) => {
  const repo = makeRepo(t, { 'a.txt': 'a\n' });
  const { ws, baseSha } = await makeWorkspace(t, repo, 'end1');
  const appended: unknown[] = [];
  const rt = { ws, state: { head_sha: baseSha }, append: (...e: unknown[]) => appended.push(...e) } as unknown as Runtime;
  const completed = { reason: 'completed' as const, detail: 'done' };
  t.equal(branchMovedEnd(rt, completed), null, 'where the run left it');
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'planted');
  git(repo, 'update-ref', 'refs/heads/engine/end1', 'HEAD');
  const end = branchMovedEnd(rt, completed);
  t.equal(end?.reason, 'governance_violation');
  t.match(end?.detail, /engine\/end1 is at [0-9a-f]{40}, not at [0-9a-f]{40}.*git branch -f engine\/end1/);
  t.match(appended, [{ type: 'governance.violation', step: null, violations: [{ rule: 'user_repo', path: /refs\/heads\/engine\/end1$/ }], stop_reason: 'governance_violation' }]);
  appended.length = 0;
  t.equal(branchMovedEnd(rt, { reason: 'interrupted', detail: 'signal' }), null, 'a signal may have cut a checkpoint short: resume decides');
  t.equal(branchMovedEnd(rt, { reason: 'governance_violation', detail: 'x' }), null, 'a breach already stops it');
  t.same(appended, []);
});
