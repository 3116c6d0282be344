import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { demoRecordOf, demoWhereLines } from '../../engine/cli/commands/demo.js';

// A new user's first `engine demo` without the CLIs installed: the run stopped doctor_blocked
// (no branch, no workspace: its summary says so), yet the demo's closing lines showed a
// branch and a `git log` of it that failed. They show only what the run made.
const recordIn = (t: { testdir(): string }, state: Record<string, unknown>) => {
  const dir = t.testdir();
  writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state));
  return demoRecordOf(dir);
};

t.test('a run the doctor blocked: the scratch repo only', async (t) => {
  const record = recordIn(t, { status: 'stopped', stop_reason: 'doctor_blocked', branch: 'engine/r1', workspace: '/ws/r1' });
  t.same(record, { branch: null, workspace: null, completed: false });
  t.same(demoWhereLines('/tmp/demo/repo', record, false), ['', 'scratch repo: /tmp/demo/repo', '']);
});

t.test('a completed run: its branch, and its workspace removed', async (t) => {
  const record = recordIn(t, { status: 'completed', stop_reason: 'completed', branch: 'engine/r2', workspace: '/ws/r2' });
  t.same(demoWhereLines('/r', record, false), ['', 'scratch repo: /r', 'branch:       engine/r2 — see it with: git -C /r log --stat engine/r2', 'workspace:    /ws/r2 (removed: the run completed, its branch holds the result)', '']);
});

t.test('a stopped run keeps its workspace; a state.json that cannot be read shows nothing more', async (t) => {
  const record = recordIn(t, { status: 'stopped', stop_reason: 'worker_failed', branch: 'engine/r3', workspace: '/ws/r3' });
  t.same(demoWhereLines('/r', record, true).slice(2), ['branch:       engine/r3 — see it with: git -C /r log --stat engine/r3', 'workspace:    /ws/r3', '']);
  t.same(demoRecordOf(t.testdir({})), { branch: null, workspace: null, completed: false });
});

t.test('a scratch repo whose path a shell would split: the command shown is one word for it', async (t) => {
  const record = recordIn(t, { status: 'completed', stop_reason: 'completed', branch: 'engine/r4', workspace: '/ws/r4' });
  t.same(demoWhereLines("/tmp/it's a $dir", record, false)[2], `branch:       engine/r4 — see it with: git -C '/tmp/it'\\''s a $dir' log --stat engine/r4`);
});
